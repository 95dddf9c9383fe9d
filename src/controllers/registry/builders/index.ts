// The pure builders of a Registry's children, and the status derived from them.
export * from './certificate.ts';
export * from './deployment.ts';
export * from './endpoints.ts';
export * from './ingress.ts';
export * from './metadata.ts';
export * from './node-proxy-daemon-set.ts';
export * from './persistent-volume-claim.ts';
export * from './pod-security.ts';
export * from './pull-secret.ts';
export * from './quantity.ts';
export * from './referenced-secrets.ts';
export * from './service-account-pull-secret.ts';
export * from './service.ts';
export * from './spec-problems.ts';
export * from './status.ts';
export * from './storage.ts';
