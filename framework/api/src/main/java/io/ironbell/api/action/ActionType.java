package io.ironbell.api.action;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.osgi.service.component.annotations.ComponentPropertyType;

/**
 * Sets the {@value ActionPlugin#TYPE} service property of a DS component that implements
 * {@link ActionPlugin}: {@code @Component(service = ActionPlugin.class) @ActionType("image2disk")}.
 */
@ComponentPropertyType
@Retention(RetentionPolicy.CLASS)
@Target(ElementType.TYPE)
public @interface ActionType {

    /** Prefix that turns this annotation's name into {@value ActionPlugin#TYPE}. */
    String PREFIX_ = "ironbell.";

    /** The action type. */
    String value();
}
