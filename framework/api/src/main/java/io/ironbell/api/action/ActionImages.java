package io.ironbell.api.action;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.osgi.service.component.annotations.ComponentPropertyType;

/**
 * Sets the {@value ActionPlugin#IMAGES} service property of a DS component that implements
 * {@link ActionPlugin}: the image name prefixes it runs besides its {@link ActionType}, e.g.
 * {@code @ActionImages({"quay.io/tinkerbell-actions/image2disk", "quay.io/tinkerbell/actions/image2disk"})}.
 */
@ComponentPropertyType
@Retention(RetentionPolicy.CLASS)
@Target(ElementType.TYPE)
public @interface ActionImages {

    /** Prefix that turns this annotation's name into {@value ActionPlugin#IMAGES}. */
    String PREFIX_ = "ironbell.";

    /** The image name prefixes. */
    String[] value();
}
