#!/usr/bin/env node
// Runs the TypeScript CLI through tsx, so `npx heapwatch` works right after `npm ci` with no build step.
require('tsx/cjs');
require('./heapwatch.ts');
