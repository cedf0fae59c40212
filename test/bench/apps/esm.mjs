// An ESM-only tree: markdown processing, HTTP client, subprocesses, validation, YAML, colours.
import { unified } from 'unified';
import remarkParse from 'remark-parse';
import remarkStringify from 'remark-stringify';
import remarkGfm from 'remark-gfm';
import got from 'got';
import { execa } from 'execa';
import { z } from 'zod';
import YAML from 'yaml';
import chalk from 'chalk';
export default { unified, remarkParse, remarkStringify, remarkGfm, got, execa, z, YAML, chalk };
