// Benchmark fixture: a process holding `heapMiB` of ordinary objects plus the incident's memoize leak, writing
// `count` heap snapshots into `outDir` (s1.heapsnapshot, ...) with leak growth between them.
//   node --max-old-space-size=N analysis-heap-writer.js <heapMiB> <outDir> <count>
const { join } = require('node:path');
const v8 = require('node:v8');
const memoize = require('lodash/memoize');

const [heapMiB, outDir, count] = process.argv.slice(2).map((value, index) => (index === 1 ? value : Number(value)));

class Customer {
  constructor(id) {
    this.id = id;
    this.name = `customer-${id}`;
    this.address = { street: `${id} Main Street`, zip: String(10000 + (id % 89999)) };
    this.tags = ['active', id % 2 === 0 ? 'even' : 'odd'];
  }
}

class RenderedPage {
  constructor(key) {
    this.key = key;
    this.html = `<main>${key}</main>`.padEnd(200, '.');
  }
}

const renderPage = memoize((key) => new RenderedPage(key));
const customers = [];
// Held from a global: locals that the code no longer reads are dead to V8 and would be collected.
globalThis.service = { customers, renderPage };
const leakPerPhaseMiB = heapMiB * 0.05;
const ballastMiB = heapMiB - leakPerPhaseMiB * (count - 1);
const usedMiB = () => process.memoryUsage().heapUsed / 1024 / 1024;
let request = 0;

while (usedMiB() < ballastMiB) {
  for (let i = 0; i < 10_000; i++) customers.push(new Customer(customers.length));
}
for (let phase = 1; phase <= count; phase++) {
  if (phase > 1) {
    const target = usedMiB() + leakPerPhaseMiB;
    while (usedMiB() < target) {
      for (let i = 0; i < 1000; i++) renderPage(`home:${request++}`);
    }
  }
  v8.writeHeapSnapshot(join(outDir, `s${phase}.heapsnapshot`));
  process.stderr.write(`wrote s${phase}.heapsnapshot (heapUsed ${usedMiB().toFixed(0)} MiB)\n`);
}
