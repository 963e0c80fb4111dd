package io.ironbell.store.internal;

import io.ironbell.api.store.Page;
import io.ironbell.api.store.PageRequest;
import io.ironbell.api.store.StoreException;
import io.ironbell.api.store.StoreException.Reason;
import io.ironbell.api.template.TemplateRecord;
import io.ironbell.api.template.TemplateStore;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/** Templates by unique name; every update adds a revision and the old ones stay readable. */
@Component(service = TemplateStore.class)
public final class PgTemplateStore implements TemplateStore {

    private final Database db;

    @Activate
    public PgTemplateStore(@Reference Database db) {
        this.db = db;
    }

    @Override
    public TemplateRecord create(String name, String data) throws StoreException {
        if (name == null || name.isBlank() || name.length() > 199) {
            throw new StoreException(Reason.INVALID, "name must be 1 to 199 characters");
        }
        String id = UUID.randomUUID().toString();
        try {
            return db.tx(s -> {
                Mappers.TemplateSql sql = s.getMapper(Mappers.TemplateSql.class);
                sql.insert(id, name);
                sql.insertRevision(id, 1, data);
                return record(sql.current(id));
            });
        } catch (StoreException e) {
            if (e.reason() == Reason.CONFLICT) {
                throw new StoreException(Reason.CONFLICT, "a template named " + name + " already exists", e);
            }
            throw e;
        }
    }

    @Override
    public TemplateRecord update(String idOrName, String data, int expectedRevision) throws StoreException {
        return db.tx(s -> {
            Mappers.TemplateSql sql = s.getMapper(Mappers.TemplateSql.class);
            Map<String, Object> row = sql.current(idOrName);
            if (row == null) {
                throw new StoreException(Reason.NOT_FOUND, "no template " + idOrName);
            }
            String id = Rows.str(row, "id");
            if (sql.bump(id, expectedRevision) == 0) {
                throw new StoreException(Reason.STALE, "template " + idOrName + " is at revision "
                        + Rows.integer(row, "revision") + ", not " + expectedRevision);
            }
            sql.insertRevision(id, expectedRevision + 1, data);
            return record(sql.current(id));
        });
    }

    @Override
    public TemplateRecord get(String idOrName) throws StoreException {
        Map<String, Object> row = db.tx(s -> s.getMapper(Mappers.TemplateSql.class).current(idOrName));
        if (row == null) {
            throw new StoreException(Reason.NOT_FOUND, "no template " + idOrName);
        }
        return record(row);
    }

    @Override
    public TemplateRecord get(String idOrName, int revision) throws StoreException {
        Map<String, Object> row = db.tx(s -> s.getMapper(Mappers.TemplateSql.class).revision(idOrName, revision));
        if (row == null) {
            throw new StoreException(Reason.NOT_FOUND, "no revision " + revision + " of template " + idOrName);
        }
        return record(row);
    }

    @Override
    public Page<TemplateRecord> list(PageRequest page) throws StoreException {
        List<Map<String, Object>> rows = db.tx(s -> s.getMapper(Mappers.TemplateSql.class)
                .page(page.cursor() == null ? "" : page.cursor(), page.limit()));
        List<TemplateRecord> items = new ArrayList<>();
        for (Map<String, Object> r : rows) {
            items.add(record(r));
        }
        return new Page<>(items, items.size() == page.limit() ? items.get(items.size() - 1).name() : null);
    }

    @Override
    public void delete(String idOrName) throws StoreException {
        db.tx(s -> {
            Mappers.TemplateSql sql = s.getMapper(Mappers.TemplateSql.class);
            Map<String, Object> row = sql.current(idOrName);
            if (row == null) {
                throw new StoreException(Reason.NOT_FOUND, "no template " + idOrName);
            }
            return sql.delete(Rows.str(row, "id"));
        });
    }

    private static TemplateRecord record(Map<String, Object> r) {
        return new TemplateRecord(Rows.str(r, "id"), Rows.str(r, "name"), Rows.integer(r, "revision"), Rows.str(r, "data"),
                Rows.instant(r, "created_at"), Rows.instant(r, "updated_at"));
    }
}
