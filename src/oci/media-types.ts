/** The manifest and config media types of OCI images and of Docker's schema 2, which registries still serve. */
export const mediaTypes = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociEmpty: 'application/vnd.oci.empty.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
} as const;

/**
 * The Accept header of every manifest HEAD and GET. It must list all four: asked by tag for an
 * index with a partial list, distribution 2.8 and 3.0 answer with the linux/amd64 child's
 * digest instead of the index's, and 2.8 answers 404 for an OCI manifest when only Docker types
 * are listed. A client that deletes by the digest it was told must be told the truth.
 */
export const manifestAccept = [mediaTypes.ociIndex, mediaTypes.dockerManifestList, mediaTypes.ociManifest, mediaTypes.dockerManifest].join(', ');

/** An index points at other manifests (one per platform, usually) rather than at layers. */
export function isIndexMediaType(mediaType: string | undefined): boolean {
  return mediaType === mediaTypes.ociIndex || mediaType === mediaTypes.dockerManifestList;
}

export function isImageManifestMediaType(mediaType: string | undefined): boolean {
  return mediaType === mediaTypes.ociManifest || mediaType === mediaTypes.dockerManifest;
}

/** `application/json; charset=utf-8` and `Application/JSON` name the same type. */
export function essenceOf(contentType: string | undefined): string | undefined {
  const essence = contentType?.split(';')[0]?.trim().toLowerCase();
  return essence === '' ? undefined : essence;
}
