import { describe, expect, it } from 'vitest';
import { essenceOf, isImageManifestMediaType, isIndexMediaType, manifestAccept, mediaTypes } from '../../../src/oci/media-types.ts';

describe('media types', () => {
  it('asks for every manifest type at once: indexes and images, OCI and Docker', () => {
    const accepted = manifestAccept.split(',').map((entry) => entry.trim());
    expect(new Set(accepted)).toEqual(new Set([mediaTypes.ociIndex, mediaTypes.dockerManifestList, mediaTypes.ociManifest, mediaTypes.dockerManifest]));
  });

  it('tells indexes from image manifests', () => {
    expect(isIndexMediaType(mediaTypes.ociIndex)).toBe(true);
    expect(isIndexMediaType(mediaTypes.dockerManifestList)).toBe(true);
    expect(isIndexMediaType(mediaTypes.ociManifest)).toBe(false);
    expect(isImageManifestMediaType(mediaTypes.dockerManifest)).toBe(true);
    expect(isImageManifestMediaType(mediaTypes.ociConfig)).toBe(false);
    expect(isImageManifestMediaType(undefined)).toBe(false);
  });

  it('reads the essence of a Content-Type', () => {
    expect(essenceOf('Application/JSON; charset=utf-8')).toBe('application/json');
    expect(essenceOf(undefined)).toBeUndefined();
    expect(essenceOf(' ')).toBeUndefined();
  });
});
