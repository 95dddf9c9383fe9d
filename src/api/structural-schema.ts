import { z } from 'zod';

/** A node of an apiextensions.k8s.io/v1 openAPIV3Schema. */
export type JsonSchemaProps = { [keyword: string]: unknown };

// What a structural schema node may say (JSONSchemaProps, less the keywords a CRD rejects).
const allowedKeywords = new Set([
  'type',
  'format',
  'description',
  'default',
  'enum',
  'nullable',
  'pattern',
  'minLength',
  'maxLength',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'multipleOf',
  'minItems',
  'maxItems',
  'uniqueItems',
  'minProperties',
  'maxProperties',
  'required',
  'properties',
  'additionalProperties',
  'items',
  'anyOf',
  'example',
  'x-kubernetes-int-or-string',
  'x-kubernetes-preserve-unknown-fields',
  'x-kubernetes-embedded-resource',
  'x-kubernetes-list-type',
  'x-kubernetes-list-map-keys',
  'x-kubernetes-map-type',
  'x-kubernetes-validations',
]);

// Keywords that constrain only strings or only numbers, so an int-or-string node can carry both
// at its top level, where a structural schema needs them.
const valueKeywords = ['pattern', 'minLength', 'maxLength', 'minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum'];

/**
 * The schema of a zod type as a CRD accepts it. zod's OpenAPI 3.0 output is close; a structural
 * schema additionally needs: a type on every node, no $ref (shared schemas are inlined), no
 * `additionalProperties: false` (the apiserver prunes or, with strict field validation, rejects
 * unknown fields by itself), no `propertyNames`, and int-or-string in its one allowed anyOf form.
 * Anything else that does not fit throws, naming the node, so an unsupported zod construct fails
 * `dockyard crds` instead of the CRD install.
 */
export function structuralSchema(schema: z.ZodType): JsonSchemaProps {
  // io 'input': a field with a default is optional to whoever writes the object.
  const json = z.toJSONSchema(schema, { target: 'openapi-3.0', io: 'input', reused: 'inline', cycles: 'throw', unrepresentable: 'throw' });
  delete (json as JsonSchemaProps)['$schema'];
  return toStructural(json as JsonSchemaProps, '');
}

function toStructural(node: JsonSchemaProps, path: string): JsonSchemaProps {
  const result: JsonSchemaProps = { ...node };
  delete result['propertyNames'];
  if (result['additionalProperties'] === false || result['x-kubernetes-preserve-unknown-fields'] === true) {
    delete result['additionalProperties'];
  }
  if (result['x-kubernetes-int-or-string'] === true) {
    return intOrString(result, path);
  }
  for (const keyword of Object.keys(result)) {
    if (!allowedKeywords.has(keyword) || keyword === 'anyOf') {
      throw new Error(`${path || '<root>'}: ${keyword} cannot be expressed in a structural schema`);
    }
  }
  if (typeof result['type'] !== 'string' && result['x-kubernetes-preserve-unknown-fields'] !== true) {
    throw new Error(`${path || '<root>'}: every node of a structural schema needs a type`);
  }
  const properties = result['properties'] as Record<string, JsonSchemaProps> | undefined;
  if (properties) {
    result['properties'] = Object.fromEntries(Object.entries(properties).map(([name, property]) => [name, toStructural(property, `${path}.${name}`)]));
  }
  const additional = result['additionalProperties'];
  if (typeof additional === 'object' && additional !== null) {
    result['additionalProperties'] = toStructural(additional as JsonSchemaProps, `${path}.*`);
  }
  const items = result['items'];
  if (typeof items === 'object' && items !== null) {
    result['items'] = toStructural(items as JsonSchemaProps, `${path}[*]`);
  }
  return result;
}

function intOrString(node: JsonSchemaProps, path: string): JsonSchemaProps {
  const branches = (node['anyOf'] as JsonSchemaProps[] | undefined) ?? [];
  const types = branches.map((branch) => branch['type']).sort();
  if (types.join() !== 'integer,string') {
    throw new Error(`${path}: x-kubernetes-int-or-string needs exactly an integer and a string alternative, not ${types.join(', ')}`);
  }
  const result: JsonSchemaProps = { ...node, anyOf: [{ type: 'integer' }, { type: 'string' }] };
  delete result['type'];
  for (const branch of branches) {
    for (const keyword of valueKeywords) {
      if (keyword in branch) result[keyword] = branch[keyword];
    }
  }
  return result;
}
