package io.ironbell.api.template;

import io.ironbell.api.store.Page;
import io.ironbell.api.store.PageRequest;
import io.ironbell.api.store.StoreException;
import org.osgi.annotation.versioning.ProviderType;

/** Keeps templates by unique name, with every revision. */
@ProviderType
public interface TemplateStore {

    /** Stores a new template; {@code CONFLICT} when the name is taken. */
    TemplateRecord create(String name, String data) throws StoreException;

    /** Stores a new revision of an existing template; {@code STALE} unless {@code expectedRevision} is current. */
    TemplateRecord update(String idOrName, String data, int expectedRevision) throws StoreException;

    /** Returns the newest revision by id or by name. */
    TemplateRecord get(String idOrName) throws StoreException;

    /** Returns one revision. */
    TemplateRecord get(String idOrName, int revision) throws StoreException;

    /** Lists newest revisions ordered by name. */
    Page<TemplateRecord> list(PageRequest page) throws StoreException;

    /** Deletes the template and its revisions. Workflows made from it keep their rendered copy. */
    void delete(String idOrName) throws StoreException;
}
