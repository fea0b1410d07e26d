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
      name: 'cameras',
      what: '2 cameras × 15 fps 1280×720 MJPEG: fps, drops, frame→read latency, CPU, RSS; kill/restart soak',
      run: async () => {
        const m = await import('./cameras.ts');
        return { ...(await m.benchCameras()), ...(await m.benchCameraSoak()) };
      },
    },
    {
      name: 'hotlist',
      what: '5,000,000-entry state list: import time, exact and look-alike match µs p50/p99, RSS',
      run: async () =>
        (await import('./hotlist.ts')).benchHotlist({
          entries: Number(process.env.ALPR_BENCH_HOTLIST ?? 5_000_000),
        }),
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
      name: 'fleet',
      what: 'simulated units publishing to one Mosquitto: throughput and latency',
      run: async () => (await import('./fleet.ts')).benchFleet(),
    },
  ];
}
