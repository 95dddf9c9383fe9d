import { describe, expect, it } from 'vitest';
import { nextPage, parseLinks } from '../../../src/oci/link.ts';

const base = 'http://registry.example:5000/v2/_catalog?n=2';

describe('Link headers', () => {
  it('resolves distribution next link against the URL asked', () => {
    expect(nextPage('</v2/_catalog?last=b&n=2>; rel="next"', base)?.href).toBe('http://registry.example:5000/v2/_catalog?last=b&n=2');
  });

  it('finds next among several links, with unquoted and multi-valued rel and commas inside the target', () => {
    const header = '<https://other.example/docs>; rel=help, </v2/x/tags/list?last=a,b&n=2>; title="a; b"; rel="prev next"';
    expect(nextPage(header, base)?.href).toBe('http://registry.example:5000/v2/x/tags/list?last=a,b&n=2');
    expect(parseLinks(header, base).map((link) => link.relations)).toEqual([['help'], ['prev', 'next']]);
  });

  it('reads links spread over several header values', () => {
    expect(nextPage(['</a>; rel="prev"', '</b>; rel="next"'], base)?.pathname).toBe('/b');
  });

  it('has no next page without a next link', () => {
    expect(nextPage(undefined, base)).toBeUndefined();
    expect(nextPage('</v2/_catalog?last=b>; rel="prev"', base)).toBeUndefined();
    expect(nextPage('garbage', base)).toBeUndefined();
  });
});
