import { createHash, randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { mediaTypes } from '../../src/oci/media-types.ts';

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: { architecture: string; os: string };
  artifactType?: string;
}

export interface Blob {
  digest: string;
  bytes: Buffer;
}

/** A manifest ready to push: its exact bytes (the digest is of these bytes) and its blobs. */
export interface BuiltManifest {
  mediaType: string;
  bytes: Buffer;
  digest: string;
  blobs: Blob[];
  /** Manifests an index refers to, which must be pushed before it. */
  children: BuiltManifest[];
}

export function digestOf(bytes: Buffer): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

function blob(bytes: Buffer): Blob {
  return { digest: digestOf(bytes), bytes };
}

/** A one-file ustar archive: enough for a layer that real tools can unpack. */
export function tarWithOneFile(name: string, content: Buffer): Buffer {
  const header = Buffer.alloc(512);
  header.write(name, 0, 100, 'utf8');
  header.write('0000644\0', 100);
  header.write('0000000\0', 108);
  header.write('0000000\0', 116);
  header.write(`${content.length.toString(8).padStart(11, '0')}\0`, 124);
  header.write(
    `${Math.floor(Date.UTC(2026, 0, 1) / 1000)
      .toString(8)
      .padStart(11, '0')}\0`,
    136,
  );
  header.write('        ', 148); // checksum field counts as spaces while summing
  header.write('0', 156);
  header.write('ustar\0', 257);
  header.write('00', 263);
  const checksum = header.reduce((sum, byte) => sum + byte, 0);
  header.write(`${checksum.toString(8).padStart(6, '0')}\0 `, 148);
  const padding = Buffer.alloc((512 - (content.length % 512)) % 512);
  return Buffer.concat([header, content, padding, Buffer.alloc(1024)]);
}

export interface ImageOptions {
  /** The config's `created` time: what tools that rank by "newest" read. */
  created?: Date;
  architecture?: string;
  os?: string;
  layerCount?: number;
  layerBytes?: number;
  /** Docker schema 2 media types instead of OCI ones. */
  docker?: boolean;
  labels?: Record<string, string>;
  /** Layers to put first, shared with other images (buildLayer()); then layerCount new ones. */
  sharedLayers?: Layer[];
}

/** A gzipped layer and its diff_id (the digest of the tar inside), to share between images. */
export interface Layer {
  blob: Blob;
  diffId: string;
}

export function buildLayer(bytes = 256): Layer {
  const tar = tarWithOneFile('shared.bin', randomBytes(bytes));
  return { blob: blob(gzipSync(tar)), diffId: digestOf(tar) };
}

/** A single-platform image with random layer content, so every call yields a new digest. */
export function buildImage(options: ImageOptions = {}): BuiltManifest {
  const { architecture = 'amd64', os = 'linux', layerCount = 1, layerBytes = 256, docker = false } = options;
  const layers: Blob[] = (options.sharedLayers ?? []).map((layer) => layer.blob);
  const diffIds: string[] = (options.sharedLayers ?? []).map((layer) => layer.diffId);
  for (let i = 0; i < layerCount; i++) {
    const tar = tarWithOneFile(`layer-${i}.bin`, randomBytes(layerBytes));
    diffIds.push(digestOf(tar));
    layers.push(blob(gzipSync(tar)));
  }
  const config = blob(
    Buffer.from(
      JSON.stringify({
        created: (options.created ?? new Date()).toISOString(),
        architecture,
        os,
        config: { Labels: options.labels ?? {} },
        rootfs: { type: 'layers', diff_ids: diffIds },
        history: diffIds.map(() => ({ created_by: 'dockyard test image builder' })),
      }),
    ),
  );
  const manifestMediaType = docker ? mediaTypes.dockerManifest : mediaTypes.ociManifest;
  const manifest = {
    schemaVersion: 2,
    mediaType: manifestMediaType,
    config: { mediaType: docker ? mediaTypes.dockerConfig : mediaTypes.ociConfig, digest: config.digest, size: config.bytes.length },
    layers: layers.map((l) => ({ mediaType: docker ? mediaTypes.dockerLayerGzip : mediaTypes.ociLayerGzip, digest: l.digest, size: l.bytes.length })),
  };
  const bytes = Buffer.from(JSON.stringify(manifest));
  return { mediaType: manifestMediaType, bytes, digest: digestOf(bytes), blobs: [config, ...layers], children: [] };
}

/** A multi-platform OCI index over images built for each platform. */
export function buildIndex(platforms: { architecture: string; os?: string }[], options: ImageOptions = {}): BuiltManifest {
  const children = platforms.map((p) => buildImage({ ...options, architecture: p.architecture, os: p.os ?? 'linux' }));
  const index = {
    schemaVersion: 2,
    mediaType: mediaTypes.ociIndex,
    manifests: children.map((child, i) => ({
      mediaType: child.mediaType,
      digest: child.digest,
      size: child.bytes.length,
      platform: { architecture: platforms[i]!.architecture, os: platforms[i]!.os ?? 'linux' },
    })),
  };
  const bytes = Buffer.from(JSON.stringify(index));
  return { mediaType: mediaTypes.ociIndex, bytes, digest: digestOf(bytes), blobs: [], children };
}

/**
 * An artifact that refers to a subject (a signature, an SBOM): an OCI manifest with `subject`
 * and `artifactType`, its config the empty descriptor, as the OCI 1.1 guidelines describe.
 */
export function buildReferrer(subject: BuiltManifest, artifactType: string, payload: Buffer = randomBytes(64)): BuiltManifest {
  const empty = blob(Buffer.from('{}'));
  const layer = blob(payload);
  const manifest = {
    schemaVersion: 2,
    mediaType: mediaTypes.ociManifest,
    artifactType,
    config: { mediaType: mediaTypes.ociEmpty, digest: empty.digest, size: empty.bytes.length },
    layers: [{ mediaType: 'application/octet-stream', digest: layer.digest, size: layer.bytes.length }],
    subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.bytes.length },
  };
  const bytes = Buffer.from(JSON.stringify(manifest));
  return { mediaType: mediaTypes.ociManifest, bytes, digest: digestOf(bytes), blobs: [empty, layer], children: [] };
}

/**
 * The index a client pushes under the `sha256-<hex>` tag for a registry without the referrers
 * API (OCI distribution spec, "Referrers Tag Schema"): one descriptor per referrer of `subject`.
 */
export function buildReferrersIndex(referrers: BuiltManifest[]): BuiltManifest {
  const index = {
    schemaVersion: 2,
    mediaType: mediaTypes.ociIndex,
    manifests: referrers.map((referrer) => {
      const { artifactType } = JSON.parse(referrer.bytes.toString()) as { artifactType?: string };
      return { mediaType: referrer.mediaType, digest: referrer.digest, size: referrer.bytes.length, ...(artifactType ? { artifactType } : {}) };
    }),
  };
  const bytes = Buffer.from(JSON.stringify(index));
  return { mediaType: mediaTypes.ociIndex, bytes, digest: digestOf(bytes), blobs: [], children: [] };
}
