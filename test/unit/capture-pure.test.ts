import { describe, expect, it } from 'vitest';
import {
  backoffMs,
  blackoutRects,
  fillBlack,
  CameraHealth,
  type HealthChange,
  FpsMeter,
  ffmpegArgs,
  ffmpegCommand,
  hasCredentials,
  redactUrl,
  withCredentials,
  replayOrder,
  pictureSignature,
} from '../../src/capture/pure.ts';

describe('backoffMs', () => {
  it.each([
    [0, 1000],
    [1, 2000],
    [2, 4000],
    [4, 16_000],
    [5, 30_000],
    [50, 30_000],
    [-3, 1000],
  ])('attempt %i → %i ms', (attempt, ms) => {
    expect(backoffMs(attempt, 1000, 30_000)).toBe(ms);
  });
});

describe('redactUrl', () => {
  it.each([
    ['rtsp://admin:secret@10.0.0.5:554/s1', 'rtsp://***@10.0.0.5:554/s1'],
    ['http://user@cam/video.mjpg', 'http://***@cam/video.mjpg'],
    ['rtsp://10.0.0.5/s1', 'rtsp://10.0.0.5/s1'],
    ['rtsp://a:b@h/x: Connection refused', 'rtsp://***@h/x: Connection refused'],
    ['/dev/video0', '/dev/video0'],
  ])('%s', (input, out) => {
    expect(redactUrl(input)).toBe(out);
  });
});

describe('ffmpegArgs', () => {
  const base = { url: 'X', width: 640, height: 360, fps: 5 };
  it.each([
    ['rtsp', ['-rtsp_transport', 'tcp']],
    ['mjpeg', ['-fflags', 'nobuffer']],
    ['v4l2', ['-f', 'v4l2']],
    ['video', ['-re']],
  ] as const)('%s input', (type, expected) => {
    const a = ffmpegArgs({ ...base, type });
    const i = a.indexOf('-i');
    expect(a[i + 1]).toBe('X');
    expect(a.slice(0, i).join(' ')).toContain(expected.join(' '));
    expect(a.slice(-5)).toEqual(['-pix_fmt', 'rgb24', '-f', 'rawvideo', 'pipe:1']);
    const vf = a[a.indexOf('-vf') + 1]!;
    expect(vf).toContain('scale=640:360');
    expect(vf).toBe(
      "select='if(gte(t\\,ld(0)-0.0667)\\,st(0\\,max(ld(0)+0.2000\\,t))*0+1\\,0)',scale=640:360",
    );
  });
  it('asks a v4l2 camera for size, rate and format', () => {
    const a = ffmpegArgs({ ...base, type: 'v4l2', url: '/dev/video0', inputFormat: 'mjpeg' });
    expect(a.slice(a.indexOf('-f'), a.indexOf('-i') + 2)).toEqual([
      '-f',
      'v4l2',
      '-video_size',
      '640x360',
      '-framerate',
      '5',
      '-input_format',
      'mjpeg',
      '-i',
      '/dev/video0',
    ]);
  });
  it('loops a video file only when asked', () => {
    expect(ffmpegArgs({ ...base, type: 'video', loop: true })).toContain('-stream_loop');
    expect(ffmpegArgs({ ...base, type: 'video', loop: false })).not.toContain('-stream_loop');
    expect(ffmpegArgs({ ...base, type: 'rtsp', loop: true })).not.toContain('-stream_loop');
  });
});

describe('FpsMeter', () => {
  it.each([
    { name: 'none', ticks: [], now: 1000, fps: 0 },
    { name: 'one', ticks: [0], now: 1000, fps: 0 },
    { name: '10 fps', ticks: Array.from({ length: 11 }, (_, i) => i * 100), now: 1000, fps: 10 },
    { name: 'old ticks fall out', ticks: [0, 100, 6000, 6500, 7000], now: 7000, fps: 2 },
    { name: 'stalled', ticks: [0, 100, 200], now: 10_000, fps: 0 },
    { name: 'steady, between ticks', ticks: [0, 500, 1000, 1500], now: 1900, fps: 2 },
    { name: 'late', ticks: [1000, 1100, 1200], now: 2200, fps: 1.6666666 },
  ])('$name', ({ ticks, now, fps }) => {
    const m = new FpsMeter(5000);
    for (const t of ticks) m.tick(t);
    expect(m.fps(now)).toBeCloseTo(fps, 5);
  });
});

describe('ffmpegCommand', () => {
  const base = { width: 640, height: 360, fps: 5 };
  it('passes a URL without credentials on the command line, as ffmpegArgs does', () => {
    for (const [type, url] of [
      ['rtsp', 'rtsp://10.0.0.5/s1'],
      ['mjpeg', 'http://cam/video.mjpg'],
      ['v4l2', '/dev/video0'],
    ] as const) {
      expect(ffmpegCommand({ ...base, type, url })).toEqual({
        args: ffmpegArgs({ ...base, type, url }),
        stdin: null,
      });
    }
  });
  it.each([
    [
      'rtsp',
      "rtsp://admin:p%40ss'x@10.0.0.5:554/s1",
      [
        'ffconcat version 1.0',
        "file 'rtsp://admin:p%40ss'\\''x@10.0.0.5:554/s1'",
        "option rtsp_transport 'tcp'",
        "option fflags 'nobuffer'",
        '',
      ],
    ],
    [
      'mjpeg',
      'http://viewer:pw@cam/video.mjpg',
      [
        'ffconcat version 1.0',
        "file 'http://viewer:pw@cam/video.mjpg'",
        "option fflags 'nobuffer'",
        "option use_wallclock_as_timestamps '1'",
        '',
      ],
    ],
  ] as const)('%s with credentials: the URL goes through stdin (an ffconcat script)', (type, url, script) => {
    const { args, stdin } = ffmpegCommand({ ...base, type, url });
    expect(stdin?.split('\n')).toEqual(script);
    const line = args.join(' ');
    expect(line).not.toContain('@');
    expect(line).not.toContain('10.0.0.5');
    expect(line).toContain('-f concat -safe 0 -i pipe:0');
    // the decoder option stays on the command line; the output half is unchanged
    expect(line).toContain('-flags low_delay');
    expect(args.slice(args.indexOf('pipe:0') + 1)).toEqual(
      ffmpegArgs({ ...base, type, url }).slice(ffmpegArgs({ ...base, type, url }).indexOf(url) + 1),
    );
  });
  it.each([
    ['rtsp://a:b@h/x', true],
    ['http://user@cam/', true],
    ['rtsp://h/x?user=a', false],
    ['/dev/video0', false],
  ])('hasCredentials(%s) = %s', (url, has) => {
    expect(hasCredentials(url)).toBe(has);
  });
});

describe('CameraHealth', () => {
  it('a camera started after failing stays red until frames come, then turns green', () => {
    const h = new CameraHealth('late', 1000, 0);
    expect(h.fail('failed to start: not found')?.light).toBe('red');
    expect(h.tick(5000)).toBeNull();
    h.started(6000);
    expect(h.current.light).toBe('red');
    expect(h.tick(6500)).toBeNull();
    expect(h.frame(6600)).toEqual({ light: 'green', reason: 'camera late: frames arriving' });
    expect(h.tick(7700)?.light).toBe('red');
  });
  it('amber → green → red after the timeout → green', () => {
    const h = new CameraHealth('rear', 5000, 0);
    expect(h.current.light).toBe('amber');
    expect(h.tick(1000)).toBeNull();
    expect(h.frame(1000)?.light).toBe('green');
    expect(h.frame(1100)).toBeNull();
    expect(h.tick(6000)).toBeNull();
    expect(h.note('ffmpeg exited (code 1)', 6100)).toBeNull();
    const red = h.tick(6200);
    expect(red?.light).toBe('red');
    expect(red?.reason).toContain('camera rear');
    expect(red?.reason).toContain('no frame for over 5 s');
    expect(red?.reason).toContain('ffmpeg exited');
    expect(h.tick(9000)).toBeNull();
    expect(h.frame(9500)?.light).toBe('green');
  });
  it('a live camera whose picture stops changing goes amber after 15 s, says so at each step, green when it moves', () => {
    const h = new CameraHealth('front', 2000, 0);
    const said: (string | null)[] = [];
    for (let t = 0; t <= 70_000; t += 100) said.push(h.frame(t, 1, 42)?.reason ?? null);
    expect(said.filter((r) => r !== null)).toEqual([
      'camera front: frames arriving',
      'camera front: the picture has not changed for over 15 s (a frozen camera or encoder?)',
      'camera front: the picture has not changed for over 1 min (a frozen camera or encoder?)',
    ]);
    expect(h.current.light).toBe('amber');
    expect(h.frame(70_100, 1, 43)).toEqual({ light: 'green', reason: 'camera front: frames arriving' });
    // a picture that changes now and then (noise, key frames) is never frozen
    const live = new CameraHealth('rear', 2000, 0);
    for (let t = 0; t <= 120_000; t += 100) live.frame(t, 1, Math.floor(t / 10_000));
    expect(live.current.light).toBe('green');
  });
  it('the picture signature tells two frames apart by a single sampled pixel, and is the same for the same bytes', () => {
    const a = new Uint8Array(1280 * 720 * 3).fill(7);
    const b = Uint8Array.from(a);
    expect(pictureSignature(a)).toBe(pictureSignature(b));
    b[97 * 1000] = 8;
    expect(pictureSignature(a)).not.toBe(pictureSignature(b));
  });
  it('a long stall is said again as it passes each step, never more often', () => {
    const h = new CameraHealth('front', 2000, 0);
    h.frame(0);
    const said: string[] = [];
    for (let t = 1000; t <= 3 * 3_600_000; t += 1000) {
      const c = h.tick(t);
      if (c) said.push(c.reason);
    }
    expect(said).toEqual([
      'camera front: no frame for over 2 s',
      'camera front: no frame for over 1 min',
      'camera front: no frame for over 5 min',
      'camera front: no frame for over 15 min',
      'camera front: no frame for over 1 h',
    ]);
    expect(h.frame(3 * 3_600_000 + 1)?.light).toBe('green');
    expect(h.tick(3 * 3_600_000 + 2500)?.reason).toBe('camera front: no frame for over 2 s');
  });
  it('a cause that comes after the light went red for want of frames is named at once, once', () => {
    const h = new CameraHealth('frozen', 1000, 0);
    h.frame(0);
    expect(h.tick(1100)).toEqual({ light: 'red', reason: 'camera frozen: no frame for over 1 s' });
    expect(h.note('stalled: no frame for 1 s, ffmpeg restarted', 1300)).toEqual({
      light: 'red',
      reason:
        'camera frozen: no frame for over 1 s (last error: stalled: no frame for 1 s, ffmpeg restarted)',
    });
    expect(h.note('stalled: no frame for 1 s, ffmpeg restarted', 2300)).toBeNull();
    // the same kind of cause again (another second, another file) is no new report
    expect(h.note('stalled: no frame for 16 s, ffmpeg restarted', 17_000)).toBeNull();
    const folder = new CameraHealth('stills', 1000, 0);
    folder.frame(0);
    expect(folder.tick(1100)?.light).toBe('red');
    const reports = [19, 20, 21, 22].map((n) =>
      folder.note(
        `cannot decode /var/lib/alpr/replay/f0${n}.jpg: Input buffer contains unsupported image format`,
        1200 + n,
      ),
    );
    expect(reports.filter((r) => r !== null)).toHaveLength(1);
    expect(h.tick(5000)).toBeNull();
    // a failure's reason is not overwritten by a later note
    const f = new CameraHealth('gone', 1000, 0);
    f.fail('failed to start: no ffmpeg');
    expect(f.note('ffmpeg exited (code 1)', 3000)).toBeNull();
  });
  it('turns amber while the decoder reports damaged frames, once per spell, and green a window after', () => {
    const h = new CameraHealth('front', 2000, 0);
    expect(h.frame(0)?.light).toBe('green');
    // 10 fps; every 5th frame damaged from t=1 s: 2 of 20 are not yet enough (at least 3)
    const seen: (HealthChange | null)[] = [];
    for (let t = 100; t <= 4000; t += 100) {
      if (t >= 1000 && t % 500 === 0) h.damaged(t, 'error count: 64');
      seen.push(h.frame(t));
    }
    const changes = seen.filter((c) => c !== null);
    expect(changes).toEqual([
      {
        light: 'amber',
        reason: 'camera front: frames arrive damaged: 3 of the last 21 frames (error count: 64)',
      },
    ]);
    // damage stops: amber until a whole window passes without any
    const after: (HealthChange | null)[] = [];
    for (let t = 4100; t <= 15_000; t += 100) after.push(h.frame(t));
    expect(after.filter((c) => c !== null)).toEqual([
      { light: 'green', reason: 'camera front: frames arriving' },
    ]);
    expect(after.findIndex((c) => c !== null)).toBe((14_100 - 4100) / 100);
    // frames dropped while the main thread was busy count too: a busy unit sees the same share
    const busy = new CameraHealth('busy', 2000, 0);
    const seenBusy: (HealthChange | null)[] = [];
    for (let t = 250; t <= 10_000; t += 250) {
      if (t % 2500 === 0) busy.damaged(t, 'error dc', 1);
      seenBusy.push(busy.frame(t, 4)); // each delivered frame stands for itself and 3 dropped
    }
    expect(seenBusy.filter((c) => c !== null).map((c) => c!.light)).toEqual(['green']);
    // one damaged frame in many is not a damaged camera
    const rare = new CameraHealth('rear', 2000, 0);
    const out: (HealthChange | null)[] = [];
    for (let t = 0; t <= 20_000; t += 100) {
      if (t % 2000 === 0) rare.damaged(t, 'error dc');
      out.push(rare.frame(t));
    }
    expect(out.filter((c) => c !== null).map((c) => c!.light)).toEqual(['green']);
  });
  it('goes red when it never gets a frame', () => {
    const h = new CameraHealth('front', 3000, 0);
    expect(h.tick(3001)?.light).toBe('red');
  });
  it('fail is red at once; a finished replay is amber and does not time out', () => {
    const h = new CameraHealth('x', 1000, 0);
    expect(h.fail('failed to start: no ffmpeg')).toEqual({
      light: 'red',
      reason: 'camera x: failed to start: no ffmpeg',
    });
    const e = new CameraHealth('y', 1000, 0);
    e.frame(10);
    expect(e.end()?.light).toBe('amber');
    expect(e.tick(60_000)).toBeNull();
  });
});

describe('replayOrder', () => {
  it('keeps images, sorted by name', () => {
    expect(replayOrder(['b.png', 'a.JPG', 'README.md', 'c.jpeg', 'frame-010.jpg', 'frame-002.jpg'])).toEqual([
      'a.JPG',
      'b.png',
      'c.jpeg',
      'frame-002.jpg',
      'frame-010.jpg',
    ]);
  });
});

describe('blackoutRects', () => {
  it.each([
    { name: 'nothing', roi: undefined, masks: [], out: [] },
    {
      name: 'a mask, clipped',
      roi: undefined,
      masks: [{ x: 90, y: 0, w: 50, h: 10 }],
      out: [{ x: 90, y: 0, w: 10, h: 10 }],
    },
    { name: 'a mask outside the frame', roi: undefined, masks: [{ x: 200, y: 0, w: 5, h: 5 }], out: [] },
    {
      name: 'roi in the middle: four bands',
      roi: { x: 10, y: 20, w: 30, h: 40 },
      masks: [],
      out: [
        { x: 0, y: 0, w: 100, h: 20 },
        { x: 0, y: 60, w: 100, h: 40 },
        { x: 0, y: 20, w: 10, h: 40 },
        { x: 40, y: 20, w: 60, h: 40 },
      ],
    },
    { name: 'roi = whole frame', roi: { x: 0, y: 0, w: 100, h: 100 }, masks: [], out: [] },
  ])('$name', ({ roi, masks, out }) => {
    expect(blackoutRects(100, 100, roi, masks)).toEqual(out);
  });
});

describe('fillBlack', () => {
  it('blacks out exactly the rectangles', () => {
    const w = 4;
    const data = Buffer.alloc(w * 3 * 3, 255);
    fillBlack(data, w, [{ x: 1, y: 1, w: 2, h: 1 }]);
    const px = (x: number, y: number) => [...data.subarray((y * w + x) * 3, (y * w + x) * 3 + 3)];
    expect(px(0, 1)).toEqual([255, 255, 255]);
    expect(px(1, 1)).toEqual([0, 0, 0]);
    expect(px(2, 1)).toEqual([0, 0, 0]);
    expect(px(3, 1)).toEqual([255, 255, 255]);
    expect(px(1, 0)).toEqual([255, 255, 255]);
    expect(px(1, 2)).toEqual([255, 255, 255]);
  });
});

describe('withCredentials', () => {
  it.each([
    ['rtsp://10.0.0.5:554/s1', 'admin:secret', 'rtsp://admin:secret@10.0.0.5:554/s1'],
    ['rtsp://10.0.0.5/s1', 'admin:p@ss:w/rd\n', 'rtsp://admin:p%40ss%3Aw%2Frd@10.0.0.5/s1'],
    ['http://cam/video.mjpg', 'viewer', 'http://viewer@cam/video.mjpg'],
  ])('%s + %j', (url, secret, out) => {
    expect(withCredentials(url, secret)).toBe(out);
    expect(redactUrl(out)).not.toContain('secret');
  });
});
