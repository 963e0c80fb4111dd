package io.ironbell.api.http;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.osgi.service.component.annotations.ComponentPropertyType;

/**
 * Sets the service properties of a DS component that implements {@link HttpRoute}:
 * {@code @Component(service = HttpRoute.class) @HttpRouteService(path = "/hello")}.
 */
@ComponentPropertyType
@Retention(RetentionPolicy.CLASS)
@Target(ElementType.TYPE)
public @interface HttpRouteService {

    /** Prefix that turns the element names into {@code ironbell.http.*} property names. */
    String PREFIX_ = "ironbell.http.";

    /** {@value HttpRoute#PATH}: the path patterns. */
    String[] path();

    /** {@value HttpRoute#METHODS}: the methods served. */
    String[] methods() default {"GET"};

    /** {@value HttpRoute#INLINE}: run on the network thread. */
    boolean inline() default false;

    /** {@value HttpRoute#PLAIN}: served over plain HTTP too. */
    boolean plain() default false;
}
