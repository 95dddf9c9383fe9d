/** The parts of manifests, indexes and image configs this client reads; registries may send more. */
export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: { architecture: string; os: string; variant?: string };
  artifactType?: string;
  annotations?: Record<string, string>;
}

/** An image manifest or an index (OCI or Docker schema 2), as parsed JSON. */
export interface ManifestContent {
  schemaVersion?: number;
  mediaType?: string;
  artifactType?: string;
  config?: Descriptor;
  layers?: Descriptor[];
  /** An index's children. */
  manifests?: Descriptor[];
  subject?: Descriptor;
  annotations?: Record<string, string>;
}

/** What a HEAD tells: enough to know which manifest a tag points at. */
export interface ManifestHead {
  digest: string;
  mediaType: string | undefined;
  size: number | undefined;
}

export interface Manifest {
  digest: string;
  mediaType: string | undefined;
  size: number;
  /** The exact bytes: the digest is of these. */
  bytes: Buffer;
  content: ManifestContent;
}

/** The fields of an image config that retention reads (OCI image spec, "Properties"). */
export interface ImageConfig {
  created?: string;
  architecture?: string;
  os?: string;
  config?: { Labels?: Record<string, string> | null };
}

export interface Referrers {
  referrers: Descriptor[];
  /** `referrers-api` when the registry answered GET /v2/<name>/referrers/<digest>; `tag-schema` when the fallback tag was read. */
  source: 'referrers-api' | 'tag-schema';
}
