// Expected values are what the apiserver stores (apimachinery's Quantity.String()); the
// integration test registry-builders.test.ts checks the same table against a real apiserver.
export const canonicalQuantities: [input: string | number, canonical: string][] = [
  ['20Gi', '20Gi'],
  ['128Mi', '128Mi'],
  ['100m', '100m'],
  ['0.5', '500m'],
  ['.5', '500m'],
  ['1.5', '1500m'],
  ['1000m', '1'],
  ['1000', '1k'],
  [1, '1'],
  ['2048', '2048'],
  ['1024Mi', '1Gi'],
  ['1.5Gi', '1536Mi'],
  ['0.5Gi', '512Mi'],
  ['0.5Ki', '512'],
  ['1023Ki', '1023Ki'],
  ['1500M', '1500M'],
  ['1e3', '1e3'],
  ['12e2', '1200'],
];
