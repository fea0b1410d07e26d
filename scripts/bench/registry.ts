export interface Bench {
  name: string;
  what: string;
  run: () => Promise<Record<string, number | string>>;
  /** Long: runs only when named (`npm run bench -- <name>`). */
  onlyWhenNamed?: boolean;
}

/** The benchmarks `npm run bench [-- name…]` runs, in order. */
export async function loadBenches(): Promise<Bench[]> {
  return [
    {
      name: 'recognize',
      what: 'ms per 720p frame and per plate crop, 1 and 2 threads, RSS',
      run: async () => (await import('./recognize.ts')).benchRecognize(),
    },
    {
      name: 'resample',
      what: 'frame-to-tensor resampling: the WebAssembly SIMD kernel against the JavaScript loop, ms per call and speed-up',
      run: async () => (await import('./resample.ts')).benchResample(),
    },
    {
      name: 'memory',
      what: 'RSS of a process holding a recognizer, by profile and worker count, after reading the demo frames',
      onlyWhenNamed: true,
      run: async () => (await import('./memory.ts')).benchMemory(),
    },
    {
      name: 'hits',
      what: 'hot-list hits by evidence at 100k / 1M / 5M entries: recall of listed plates and false alerts per 10,000 reads, by level',
      onlyWhenNamed: true,
      run: async () => (await import('./hits.ts')).benchHits(),
    },
    {
      name: 'cameras',
      what: '2 cameras × 15 fps 1280×720 MJPEG: fps, drops, frame→read latency, CPU, RSS; kill/restart soak',
      run: async () => {
        const m = await import('./cameras.ts');
        return { ...(await m.benchCameras()), ...(await m.benchCameraSoak()) };
      },
    },
    {
      name: 'hotlist',
      what: '5,000,000-entry state list: import time, match µs p50/p99 (exact, look-alike, misses, patrol mix), RSS',
      run: async () => {
        const m = await import('./hotlist.ts');
        const fig = await m.benchHotlist({ entries: Number(process.env.ALPR_BENCH_HOTLIST ?? 5_000_000) });
        // WITHOUT ROWID vs the rowid table + index, at 500k (the clustered layouts take minutes at 5M).
        if (!process.env.ALPR_BENCH_HOTLIST_LAYOUTS) return fig;
        const layouts = await m.benchHotlist({
          entries: 500_000,
          variants: ['rowid-index/swap', 'without-rowid/swap', 'without-rowid-sorted/swap'],
        });
        return { ...fig, ...Object.fromEntries(Object.entries(layouts).map(([k, v]) => [`500k ${k}`, v])) };
      },
    },
    {
      name: 'sync',
      what: '100,000-read backlog drained to Mosquitto on loopback; store write rate',
      run: async () => (await import('./sync.ts')).benchSync(),
    },
    {
      name: 'sync-backlog',
      what: '1,000,000-read backlog (bulk-built) drained to Mosquitto: reads/s, RSS flat or not, loss',
      // ~6 minutes on 2 cores: `npm run bench -- sync-backlog` (ALPR_BENCH_BACKLOG_READS to resize).
      onlyWhenNamed: true,
      run: async () =>
        (await import('./backlog.ts')).benchBacklog(
          Number(process.env.ALPR_BENCH_BACKLOG_READS ?? 1_000_000),
          {
            bulk: true,
          },
        ),
    },
    {
      name: 'soak',
      what: 'the daemon on 2 file cameras × 15 fps for ALPR_BENCH_SOAK_S (default 3600): RSS slope MB/hour, plateau, heap after GC',
      onlyWhenNamed: true,
      run: async () => (await import('./soak.ts')).benchSoak(),
    },
    {
      name: 'fleet-mosquitto',
      what: 'simulated units publishing to one Mosquitto: throughput and latency',
      run: async () => (await import('./fleet.ts')).benchFleet(),
    },
    {
      name: 'fleet',
      what: '1,000 units (--units) at 2 reads/s (--rate) plus heartbeats on a 3-node NATS JetStream cluster, --sinks receivers: delivered/s, latency p50/p99, broker CPU and memory; then the same with a node SIGKILLed mid-run (--seconds each)',
      // A few minutes on 2 cores: `npm run bench -- fleet --units 1000 --seconds 20`.
      onlyWhenNamed: true,
      run: async () => (await import('./fleet-cluster.ts')).benchFleetCluster(),
    },
  ];
}
