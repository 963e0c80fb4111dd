# store: PostgreSQL (embedded or external) through MyBatis and HikariCP: hardware, templates, workflows, logs, tokens
description = the store on PostgreSQL: hardware, templates, workflows, events, machine logs, tokens, audit, plugins
features = core
bundles = io.ironbell.store, org.mybatis.mybatis, com.zaxxer.HikariCP, org.postgresql.jdbc
