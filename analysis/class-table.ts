import type { HeapSnapshot } from './heap-snapshot';

/** Node types a developer allocates directly; the rest (arrays, code, shapes, system) are V8's own bookkeeping. */
const USER_TYPES = new Set([
  'object',
  'closure',
  'string',
  'concatenated string',
  'sliced string',
  'regexp',
  'number',
  'symbol',
  'bigint',
  'native',
]);

const FIXED_CLASS_OF_TYPE: Readonly<Record<string, string>> = {
  string: '(string)',
  'concatenated string': '(string)',
  'sliced string': '(string)',
  number: '(heap number)',
  symbol: '(symbol)',
  bigint: '(bigint)',
  regexp: 'RegExp',
  array: '(array)',
  hidden: '(system)',
  code: '(compiled code)',
  'object shape': '(object shape)',
};

/**
 * Class names shared by all snapshots of one diff, as small integers: objects by constructor name, closures by
 * function name, strings as "(string)" — the grouping DevTools' Summary view uses.
 */
export class ClassTable {
  private readonly idByName = new Map<string, number>();
  readonly names: string[] = [];
  readonly userLevel: boolean[] = [];

  intern(name: string, userLevel: boolean): number {
    let id = this.idByName.get(name);
    if (id === undefined) {
      id = this.names.length;
      this.idByName.set(name, id);
      this.names.push(name);
      this.userLevel.push(userLevel);
    }
    return id;
  }

  /**
   * Takes in the classes of a snapshot classified with another table (`names`/`userLevel` of that table, in its
   * order) and rewrites `classIds` to this table's ids. Absorbing tables in file order gives the ids a single shared
   * table would have given.
   */
  absorb(names: readonly string[], userLevel: readonly boolean[], classIds: Uint32Array): void {
    const idOf = Uint32Array.from(names, (name, local) => this.intern(name, userLevel[local]));
    for (let node = 0; node < classIds.length; node++) classIds[node] = idOf[classIds[node]];
  }

  /** The class of every node of a snapshot. */
  classify(snapshot: HeapSnapshot): Uint32Array {
    const { layout, nodes, strings, nodeCount } = snapshot;
    const typeClasses = layout.nodeTypes.map((type) => {
      const fixed = FIXED_CLASS_OF_TYPE[type];
      return fixed === undefined ? -1 : this.intern(fixed, USER_TYPES.has(type));
    });
    const byNameCache = layout.nodeTypes.map(() => undefined as Int32Array | undefined);
    const classes = new Uint32Array(nodeCount);
    for (let node = 0; node < nodeCount; node++) {
      const base = node * layout.nodeFieldCount;
      const type = nodes[base + layout.nodeTypeOffset];
      const fixed = typeClasses[type] ?? -1;
      if (fixed >= 0) {
        classes[node] = fixed;
        continue;
      }
      let cache = byNameCache[type];
      if (!cache) {
        cache = new Int32Array(strings.length).fill(-1);
        byNameCache[type] = cache;
      }
      const nameIndex = nodes[base + layout.nodeNameOffset];
      let id = cache[nameIndex];
      if (id < 0) {
        const typeName = layout.nodeTypes[type] ?? 'unknown';
        id = this.intern(classNameOf(typeName, strings[nameIndex] ?? ''), USER_TYPES.has(typeName));
        cache[nameIndex] = id;
      }
      classes[node] = id;
    }
    return classes;
  }
}

function classNameOf(type: string, name: string): string {
  if (type === 'closure') return name ? `(closure) ${name}` : '(closure)';
  if (type === 'object' || type === 'native') return name || 'Object';
  return name || `(${type})`;
}
