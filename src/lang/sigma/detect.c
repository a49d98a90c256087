/* detect.c: a Sigma detection section into IR. Every search identifier is
 * lowered once (all of them, so a broken one is reported even when the
 * condition does not use it): a mapping is the AND of its items, a list of
 * mappings the OR of them, a list of plain values (or a single value) a
 * keyword search over every value of the event. The condition (cond.c)
 * combines them. */
#include <string.h>

#include "lang/sigma/sigma_int.h"

static sh_ir *lower_map(sg_comp *c, const sy_node *map) {
    if (map->n == 0) {
        sg_fail(c, map, "an empty mapping matches nothing: give at least one field");
        return NULL;
    }
    sh_ir *and = sh_ir_new(c->pool, SH_IR_AND, map->n);
    for (uint32_t i = 0; i < map->n; i++) {
        if (c->budget == 0) {
            sg_fail(c, map, "detection too large (more than %d items, counting repeated aliases)", SG_BUDGET);
            return NULL;
        }
        c->budget--;
        and->args[i] = sg_item(c, map->items[2 * i], map->items[2 * i + 1]);
        if (!and->args[i]) return NULL;
    }
    return map->n == 1 ? and->args[0] : and;
}

sh_ir *sg_ident_ir(sg_comp *c, sg_ident *id) {
    if (id->state == 2) return id->ir;
    id->state = 2;
    const sy_node *v = id->val;
    if (sy_is_null(v)) {
        sg_fail(c, id->key, "search identifier '%.*s' has no value", (int)id->key->len, id->key->s);
        return NULL;
    }
    if (v->kind == SY_MAP) {
        id->ir = lower_map(c, v);
    } else if (v->kind == SY_SEQ) {
        if (v->n == 0) {
            sg_fail(c, v, "search identifier '%.*s' is an empty list", (int)id->key->len, id->key->s);
            return NULL;
        }
        uint32_t nmaps = 0;
        for (uint32_t i = 0; i < v->n; i++) nmaps += v->items[i]->kind == SY_MAP;
        if (nmaps && nmaps != v->n) {
            sg_fail(c, v, "search identifier '%.*s' mixes mappings and plain values in one list", (int)id->key->len,
                    id->key->s);
            return NULL;
        }
        if (nmaps) {
            sh_ir *or = sh_ir_new(c->pool, SH_IR_OR, v->n);
            for (uint32_t i = 0; i < v->n; i++) {
                or->args[i] = lower_map(c, v->items[i]);
                if (!or->args[i]) return NULL;
            }
            id->ir = v->n == 1 ? or->args[0] : or;
        } else {
            id->ir = sg_keywords(c, v, "", id->key);
        }
    } else {
        id->ir = sg_keywords(c, v, "", id->key);
    }
    return id->ir;
}

sh_ir *sg_detection(sg_comp *c, const sy_node *at, const sy_node *det, const sy_node *cond, const char *what) {
    if (!det || det->kind != SY_MAP) {
        sg_fail(c, det ? det : at, "the %s section must be a mapping of search identifiers and a condition", what);
        return NULL;
    }
    c->ids = sh_arena_zalloc(&c->tmp, (det->n ? det->n : 1) * sizeof *c->ids);
    c->nids = 0;
    for (uint32_t i = 0; i < det->n; i++) {
        const sy_node *k = det->items[2 * i];
        if (sy_is(k, "condition") || sy_is(k, "rules") || sy_is(k, "timeframe")) continue;
        if (k->kind != SY_SCALAR || k->len == 0) {
            sg_fail(c, k, "a search identifier must be a plain name");
            return NULL;
        }
        /* a later duplicate replaces the earlier one, as YAML readers do */
        size_t j = 0;
        while (j < c->nids && !(c->ids[j].key->len == k->len && !memcmp(c->ids[j].key->s, k->s, k->len))) j++;
        c->ids[j] = (sg_ident){.key = k, .val = det->items[2 * i + 1]};
        if (j == c->nids) c->nids++;
    }
    if (sy_get(det, "timeframe"))
        sg_warn(c->rule, "%u: 'timeframe' belongs to Sigma 1.0 aggregations and is ignored (use a correlation rule)",
                sy_get_key(det, "timeframe")->line);
    if (!c->nids) {
        sg_fail(c, at, "the %s section has no search identifier", what);
        return NULL;
    }
    for (size_t i = 0; i < c->nids; i++)
        if (!sg_ident_ir(c, &c->ids[i])) return NULL;
    if (!cond) {
        sg_fail(c, at, "the %s section has no condition", what);
        return NULL;
    }
    if (cond->kind == SY_SEQ) {
        /* a list of conditions: any of them */
        if (cond->n == 0) {
            sg_fail(c, cond, "the condition list is empty");
            return NULL;
        }
        sh_ir *or = sh_ir_new(c->pool, SH_IR_OR, cond->n);
        for (uint32_t i = 0; i < cond->n; i++) {
            or->args[i] = sg_condition(c, cond->items[i]);
            if (!or->args[i]) return NULL;
        }
        return cond->n == 1 ? or->args[0] : or;
    }
    return sg_condition(c, cond);
}
