/**
 * The import statement at a site and the change that makes it lazy (pure): each form importcost
 * recognises, a statement over several lines, and the forms it must not touch (a side-effect import, a
 * type import, a require inside an expression), which get no suggestion rather than a wrong one.
 */
import { describe, expect, it } from 'vitest';
import { findImportSite } from '../src/analysis/find-import-site.js';
import { accessorName, readImportStatement, suggestChange } from '../src/analysis/import-statement.js';

/** The statement importing `specifier` in `source`, found the way the defer command finds it. */
function read(source: string, specifier: string) {
  const site = findImportSite(source, specifier);
  if (!site) throw new Error(`no site for ${specifier}`);
  return readImportStatement(source, site, specifier)!;
}
const change = (source: string, specifier: string, pkg = specifier, importDefer = false) => suggestChange(read(source, specifier), '/app/file.js', pkg, specifier, importDefer);

describe('reading the statement', () => {
  it.each([
    ["const _ = require('lodash');", 'lodash', 'require-binding'],
    ["  let express = require(\"express\")", 'express', 'require-binding'],
    ["const { S3Client, PutObjectCommand: Put } = require('@aws-sdk/client-s3');", '@aws-sdk/client-s3', 'require-destructure'],
    ["const pick = require('lodash').pick;", 'lodash', 'require-destructure'],
    ["require('dotenv');", 'dotenv', 'require-bare'],
    ["app.use(require('compression')());", 'compression', 'other'],
    ["const { a = 1 } = require('x');", 'x', 'other'],
    ["import * as got from 'got';", 'got', 'esm-namespace'],
    ["import got from 'got';", 'got', 'esm-named'],
    ["import { execa, $ as run } from 'execa';", 'execa', 'esm-named'],
    ["import React, { useState } from 'react';", 'react', 'esm-named'],
    ["import 'reflect-metadata';", 'reflect-metadata', 'esm-bare'],
    ["import type { Options } from 'got';", 'got', 'esm-type'],
    ["export * from 'got';", 'got', 'other'],
  ])('%s -> %s', (source, specifier, form) => {
    expect(read(`// header\n${source}\nmore();\n`, specifier).form).toBe(form);
  });

  it('a statement over several lines starts at its first line', () => {
    const source = "const x = 1;\nconst {\n  S3Client,\n  GetObjectCommand,\n} = require('@aws-sdk/client-s3');\n";
    const statement = read(source, '@aws-sdk/client-s3');
    expect(statement).toMatchObject({ line: 2, form: 'require-destructure', keyword: 'const' });
    expect(statement.names.map((n) => n.local)).toEqual(['S3Client', 'GetObjectCommand']);
    expect(statement.text.split('\n')).toHaveLength(4);
    const esm = read("import {\n  got,\n  Options,\n} from 'got';\n", 'got');
    expect(esm).toMatchObject({ line: 1, form: 'esm-named' });
    expect(esm.names.map((n) => n.imported)).toEqual(['got', 'Options']);
  });
});

describe('the change', () => {
  it('CommonJS: a lazy accessor, in the file\'s own module system', () => {
    expect(change("const _ = require('lodash');", 'lodash')).toMatchObject({
      line: 1,
      kind: 'lazy-require',
      before: "const _ = require('lodash');",
      after: "const _ = () => require('lodash'); // loads at the first call: _.x becomes _().x",
    });
    const destructured = change("const { S3Client, PutObjectCommand: Put } = require('@aws-sdk/client-s3');", '@aws-sdk/client-s3')!;
    expect(destructured.after.split('\n')).toEqual([
      "const loadClientS3 = () => require('@aws-sdk/client-s3'); // loads at the first call",
      '// then S3Client becomes loadClientS3().S3Client, Put becomes loadClientS3().PutObjectCommand',
    ]);
  });

  it('ESM: import defer where the Node supports it, else await import() at the use', () => {
    expect(change("import * as got from 'got';", 'got', 'got', true)).toMatchObject({ kind: 'import-defer', after: expect.stringMatching(/^import defer \* as got from 'got';/) });
    expect(change("import * as got from 'got';", 'got', 'got', false)!.after).toMatch(/const got = await import\('got'\);$/);
    expect(change("import React, { useState as use } from 'react';", 'react')!.after).toMatch(/const \{ default: React, useState: use \} = await import\('react'\);$/);
  });

  it('no suggestion where none can be written by hand', () => {
    for (const [source, specifier] of [["require('dotenv');", 'dotenv'], ["import 'reflect-metadata';", 'reflect-metadata'], ["app.use(require('compression')());", 'compression'], ["import type { A } from 'got';", 'got']]) {
      expect(change(source!, specifier!)).toBeNull();
    }
  });

  it('names the accessor after the package', () => {
    expect(accessorName('@aws-sdk/client-s3')).toBe('loadClientS3');
    expect(accessorName('body-parser')).toBe('loadBodyParser');
    expect(accessorName('lodash')).toBe('loadLodash');
  });
});
