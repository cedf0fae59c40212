// ground-truth.cjs from an ES module script: the truth for an ES module program (`node app.mjs`), whose
// Node has started its ESM loader, and the builtins that loads, before the program's first import.
import groundTruth from './ground-truth.cjs';

await groundTruth.run(process.argv.slice(2));
