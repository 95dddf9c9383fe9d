import type { z } from 'zod';

/** The `reason` values the apiserver accepts on a CRD validation rule. */
export type FieldErrorReason = 'FieldValueInvalid' | 'FieldValueForbidden' | 'FieldValueRequired' | 'FieldValueDuplicate';

/** One entry of a schema node's `x-kubernetes-validations` (apiextensions.k8s.io/v1 ValidationRule). */
export interface CelValidation {
  rule: string;
  message: string;
  fieldPath?: string;
  reason?: FieldErrorReason;
}

export const celValidationsKey = 'x-kubernetes-validations';

interface RuleReport {
  message: string;
  /**
   * The field to blame, as a relative path from the node the rule is attached to (`.replicas`,
   * `.registryRef.namespace`). Absent: the node itself. The apiserver reports it as the CEL
   * rule's `fieldPath`, zod as the issue's path, so both name the same field.
   */
  field?: string;
  reason?: FieldErrorReason;
}

/**
 * A rule over one schema node (usually across its fields), written once and enforced twice: by the apiserver
 * as CEL, where `self` is the node, and by zod as a refinement, where `holds` gets the node's
 * parsed value (defaults applied, as they are before CEL runs). The two must say the same thing;
 * the integration tests hold them to it with the same invalid objects.
 */
export interface CrossFieldRule<T> extends RuleReport {
  cel: string;
  holds: (value: T) => boolean;
}

/**
 * A rule over an update (`oldSelf` is the stored value). Only the apiserver can check it: zod
 * sees one object, never the change between two.
 */
export interface TransitionRule extends RuleReport {
  cel: string;
}

/** Attaches cross-field rules to a schema: a zod refinement plus the matching CEL rules. */
export function withRules<S extends z.ZodType>(schema: S, rules: readonly CrossFieldRule<z.output<S>>[]): S {
  const refined = schema.superRefine(
    (value, context) => {
      for (const rule of rules) {
        if (!rule.holds(value)) {
          context.addIssue({ code: 'custom', message: rule.message, path: zodPath(rule.field), ...(rule.reason ? { params: { reason: rule.reason } } : {}) });
        }
      }
    },
    // zod would run the rules on a node whose fields already failed; `holds` may then rely on
    // nothing it is typed to rely on, and the field's own issue already says what is wrong.
    { when: (payload) => payload.issues.length === 0 },
  );
  return withCelValidations(refined, rules);
}

/** Attaches rules about updates, which only the apiserver enforces. */
export function withTransitionRules<S extends z.ZodType>(schema: S, rules: readonly TransitionRule[]): S {
  return withCelValidations(schema, rules);
}

/** The node may be set on create but never changed. */
export function immutable(message: string): TransitionRule {
  return { cel: 'self == oldSelf', message };
}

/** Exactly one of the named optional fields is set. The message names every one of them. */
export function exactlyOneOf<T extends object>(fields: readonly (keyof T & string)[], report: Omit<RuleReport, 'message'> = {}): CrossFieldRule<T> {
  return {
    ...report,
    cel: `${fields.map((field) => `(has(self.${field}) ? 1 : 0)`).join(' + ')} == 1`,
    message: `exactly one of ${listOfNames(fields)} must be set`,
    holds: (value) => fields.filter((field) => value[field] !== undefined).length === 1,
  };
}

/** When `field` is set, none of `others` may be: they only make sense without it. */
export function excludes<T extends object>(field: keyof T & string, others: readonly (keyof T & string)[], why: string): CrossFieldRule<T> {
  return {
    field: `.${field}`,
    reason: 'FieldValueForbidden',
    cel: `!has(self.${field}) || !(${others.map((other) => `has(self.${other})`).join(' || ')})`,
    message: `${field} cannot be combined with ${listOfNames(others)}: ${why}`,
    holds: (value) => value[field] === undefined || others.every((other) => value[other] === undefined),
  };
}

/** "a, b or c" */
function listOfNames(names: readonly string[]): string {
  return names.length < 2 ? names.join('') : `${names.slice(0, -1).join(', ')} or ${names.at(-1)}`;
}

function withCelValidations<S extends z.ZodType>(schema: S, rules: readonly TransitionRule[]): S {
  // meta() replaces a key rather than merging it, so carry over the rules already attached.
  const existing = (schema.meta()?.[celValidationsKey] as CelValidation[] | undefined) ?? [];
  const added = rules.map(({ cel, message, field, reason }): CelValidation => {
    zodPath(field); // fail when the schema is built, not when an object first breaks the rule
    return {
      rule: cel,
      message,
      ...(field === undefined ? {} : { fieldPath: field }),
      ...(reason === undefined ? {} : { reason }),
    };
  });
  return schema.meta({ [celValidationsKey]: [...existing, ...added] });
}

const relativeFieldPath = /^(?:\.[A-Za-z][A-Za-z0-9]*)+$/;

function zodPath(field: string | undefined): string[] {
  if (field === undefined) return [];
  if (!relativeFieldPath.test(field)) throw new Error(`rule field ${JSON.stringify(field)} must be a relative path such as .replicas`);
  return field.split('.').slice(1);
}
