package io.ironbell.api.health;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * A condition the server needs to do its job, such as a reachable database or a DHCP
 * interface that exists. {@code /readyz} answers 503 while any registered check is not ready,
 * and its body names the check and gives its reason.
 *
 * <p>Service property {@value #NAME} (String): the check's name in {@code /readyz}; the
 * component name is used when it is absent. {@link #check()} must be cheap and must not block:
 * keep the state in the component and update it from where it changes.
 */
@ConsumerType
public interface ReadinessCheck {

    /** Service property: the check's name. */
    String NAME = "ironbell.readiness.name";

    /** Returns whether the condition holds now. */
    Readiness check();

    /**
     * The answer of a check.
     *
     * @param ready  whether the condition holds
     * @param reason why not, naming what is missing (e.g. "interface eth9 does not exist")
     */
    record Readiness(boolean ready, String reason) {

        private static final Readiness READY = new Readiness(true, null);

        /** The condition holds. */
        public static Readiness up() {
            return READY;
        }

        /** The condition does not hold, for this reason. */
        public static Readiness down(String reason) {
            return new Readiness(false, reason);
        }
    }
}
