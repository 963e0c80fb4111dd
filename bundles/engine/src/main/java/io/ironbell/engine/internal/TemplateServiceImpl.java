package io.ironbell.engine.internal;

import io.ironbell.api.store.StoreException;
import io.ironbell.api.template.Template;
import io.ironbell.api.template.TemplateException;
import io.ironbell.api.template.TemplateRecord;
import io.ironbell.api.template.TemplateService;
import io.ironbell.api.template.TemplateStore;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * Checks templates before they are stored: the {@code {{ }}} expressions are parsed, then
 * rendered with a placeholder for every path (there is no hardware yet), and the result is
 * checked as YAML and against Tinkerbell's rules.
 */
@Component(service = TemplateService.class)
public final class TemplateServiceImpl implements TemplateService {

    private final TemplateStore store;

    @Activate
    public TemplateServiceImpl(@Reference TemplateStore store) {
        this.store = store;
    }

    @Override
    public Template validate(String yaml) throws TemplateException {
        if (yaml != null && yaml.length() > MAX_BYTES) {
            throw new TemplateException(0, null, "the template is larger than " + MAX_BYTES + " bytes");
        }
        return WorkflowTemplates.check(yaml == null ? "" : yaml);
    }

    @Override
    public TemplateRecord create(String name, String yaml) throws TemplateException, StoreException {
        Template t = validate(yaml);
        return store.create(name == null || name.isBlank() ? t.name() : name, yaml);
    }

    @Override
    public TemplateRecord update(String idOrName, String yaml, int expectedRevision) throws TemplateException, StoreException {
        validate(yaml);
        return store.update(idOrName, yaml, expectedRevision);
    }
}
