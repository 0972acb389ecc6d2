import { gzipSync } from 'node:zlib';
import { Line, Location, Function as PprofFunction, Profile, Sample, StringTable, ValueType } from 'pprof-format';
import { type CallFrame, frameKey, type HeapProfile } from './heap-profile';
import { allocationSite, functionLabel } from './profile-frames';
import { stackSeries } from './stack-series';

/**
 * The sample types of the pprof heapwatch writes, per stack: live samples and live sampled bytes in the last
 * profile, and their growth since the first (negative where memory was freed). `growth_space` is the default view.
 */
export const PPROF_SAMPLE_TYPES = [
  { type: 'samples', unit: 'count' },
  { type: 'space', unit: 'bytes' },
  { type: 'growth_samples', unit: 'count' },
  { type: 'growth_space', unit: 'bytes' },
] as const;

const UNKNOWN_FRAME: CallFrame = { functionName: '(unknown)', scriptId: '', url: '', lineNumber: -1, columnNumber: -1 };

/**
 * Encodes 2 or 3 heap profiles of one process (oldest first) as one gzipped pprof protobuf, as `go tool pprof` and
 * Grafana Pyroscope read it: the last profile's live heap, and the growth since the first as two more sample types.
 */
export function encodeGrowthPprof(profiles: readonly HeapProfile[], samplingIntervalBytes: number): Buffer {
  if (profiles.length === 0) throw new Error('a pprof needs at least one heap profile');
  const strings = new StringTable();
  const functions = new Map<string, PprofFunction>();
  const locations = new Map<string, Location>();
  const locationOf = (frame: CallFrame): Location => {
    const key = frameKey(frame);
    let location = locations.get(key);
    if (!location) {
      const site = allocationSite(frame);
      const fn = new PprofFunction({
        id: functions.size + 1,
        name: strings.dedup(functionLabel(frame)),
        systemName: strings.dedup(functionLabel(frame)),
        filename: strings.dedup(frame.url === '' ? '(native)' : frame.url),
        startLine: site.line,
      });
      functions.set(key, fn);
      location = new Location({
        id: locations.size + 1,
        line: [new Line({ functionId: fn.id, line: site.line, column: site.column })],
      });
      locations.set(key, location);
    }
    return location;
  };
  const last = profiles.length - 1;
  const samples: Sample[] = [];
  for (const stack of stackSeries(profiles)) {
    const values = [
      stack.samples[last],
      stack.bytes[last],
      stack.samples[last] - stack.samples[0],
      stack.bytes[last] - stack.bytes[0],
    ];
    if (values.every((value) => value === 0)) continue;
    const frames = stack.frames.filter((frame) => frame.functionName !== '' || frame.url !== '');
    // pprof lists a sample's locations leaf first.
    const leafFirst = (frames.length > 0 ? frames : [UNKNOWN_FRAME]).map(locationOf).reverse();
    samples.push(new Sample({ locationId: leafFirst.map((location) => location.id), value: values }));
  }
  const sampleType = PPROF_SAMPLE_TYPES.map(
    ({ type, unit }) => new ValueType({ type: strings.dedup(type), unit: strings.dedup(unit) }),
  );
  const first = profiles[0].file;
  const lastFile = profiles[last].file;
  const profile = new Profile({
    sampleType,
    sample: samples,
    location: [...locations.values()],
    function: [...functions.values()],
    stringTable: strings,
    timeNanos: BigInt(Date.now()) * 1_000_000n,
    periodType: new ValueType({ type: strings.dedup('space'), unit: strings.dedup('bytes') }),
    period: samplingIntervalBytes,
    defaultSampleType: strings.dedup('growth_space'),
    comment: [
      strings.dedup(`heapwatch: live sampled heap of ${lastFile}`),
      strings.dedup(`growth_samples, growth_space: ${lastFile} minus ${first}`),
    ],
  });
  return gzipSync(profile.encode());
}
