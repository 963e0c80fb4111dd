package io.ironbell.api.template;

import io.ironbell.api.store.StoreException;
import org.osgi.annotation.versioning.ProviderType;

/**
 * Templates checked before they are stored: YAML syntax, template expressions and
 * Tinkerbell's structural rules, each error with its line. Reads go to {@link TemplateStore}.
 */
@ProviderType
public interface TemplateService {

    /** Largest template accepted, in bytes. */
    int MAX_BYTES = 256 * 1024;

    /**
     * Checks a template's text without storing it.
     *
     * @return the template as parsed, its {@code {{ }}} expressions left as text
     */
    Template validate(String yaml) throws TemplateException;

    /** Validates and stores a new template; its name is {@code name}, or the YAML's {@code name}. */
    TemplateRecord create(String name, String yaml) throws TemplateException, StoreException;

    /** Validates and stores a new revision. */
    TemplateRecord update(String idOrName, String yaml, int expectedRevision) throws TemplateException, StoreException;
}
