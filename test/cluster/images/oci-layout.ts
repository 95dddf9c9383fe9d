import { createHash } from 'node:crypto';
import { type TarEntry, tarArchive } from './tar.ts';

/** An image as the Dockerfile would describe it: files, and how its process starts. */
export interface ImageSpec {
  /** Fully qualified, so containerd and the kubelet never prefix docker.io: dockyard.local/x:tag. */
  name: string;
  /** One layer; parent directories must come before their children. */
  files: TarEntry[];
  entrypoint: string[];
  cmd?: string[];
  env?: string[];
  workingDir?: string;
  user?: string;
}

const mediaTypes = {
  index: 'application/vnd.oci.image.index.v1+json',
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  config: 'application/vnd.oci.image.config.v1+json',
  layer: 'application/vnd.oci.image.layer.v1.tar',
};

const digestOf = (data: Uint8Array): string => `sha256:${createHash('sha256').update(data).digest('hex')}`;

/**
 * An OCI image layout (https://github.com/opencontainers/image-spec/blob/main/image-layout.md)
 * packed in a tar, as `ctr images import` and `skopeo copy oci-archive:` read it. The layer is an
 * uncompressed tar: nothing here crosses a network, and digests stay reproducible.
 */
export function ociArchive(spec: ImageSpec): { archive: Buffer; manifestDigest: string } {
  const layer = tarArchive(spec.files);
  const layerDigest = digestOf(layer);
  const config = Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      config: {
        Entrypoint: spec.entrypoint,
        ...(spec.cmd ? { Cmd: spec.cmd } : {}),
        Env: spec.env ?? ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
        ...(spec.workingDir ? { WorkingDir: spec.workingDir } : {}),
        ...(spec.user ? { User: spec.user } : {}),
      },
      rootfs: { type: 'layers', diff_ids: [layerDigest] },
    }),
  );
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: mediaTypes.manifest,
      config: { mediaType: mediaTypes.config, digest: digestOf(config), size: config.byteLength },
      layers: [{ mediaType: mediaTypes.layer, digest: layerDigest, size: layer.byteLength }],
    }),
  );
  const manifestDigest = digestOf(manifest);
  const tag = spec.name.slice(spec.name.lastIndexOf(':') + 1);
  const index = {
    schemaVersion: 2,
    mediaType: mediaTypes.index,
    manifests: [
      {
        mediaType: mediaTypes.manifest,
        digest: manifestDigest,
        size: manifest.byteLength,
        annotations: { 'io.containerd.image.name': spec.name, 'org.opencontainers.image.ref.name': tag },
      },
    ],
  };
  const blob = (data: Buffer): TarEntry => ({ type: 'file', path: `blobs/sha256/${digestOf(data).slice('sha256:'.length)}`, data });
  const archive = tarArchive([
    { type: 'file', path: 'oci-layout', data: Buffer.from(JSON.stringify({ imageLayoutVersion: '1.0.0' })) },
    { type: 'file', path: 'index.json', data: Buffer.from(JSON.stringify(index)) },
    { type: 'directory', path: 'blobs' },
    { type: 'directory', path: 'blobs/sha256' },
    blob(layer),
    blob(config),
    blob(manifest),
  ]);
  return { archive, manifestDigest };
}
