// Readable platform names ("linux1804-64-qr" -> "Linux 18.04 x64 WebRender") and the order of platform rows.

const OS_RULES = [
  [/^linux(\d{2})(\d{2})-64/, (m) => `Linux ${m[1]}.${m[2]} x64`],
  [/^linux(\d{2})(\d{2})-aarch64/, (m) => `Linux ${m[1]}.${m[2]} AArch64`],
  [/^linux64-aarch64/, () => 'Linux AArch64'],
  [/^linux64/, () => 'Linux x64'],
  [/^linux32/, () => 'Linux x86'],
  [/^linux/, () => 'Linux'],
  [/^windows(\d+)-64/, (m) => `Windows ${m[1]} x64`],
  [/^windows(\d+)-32/, (m) => `Windows ${m[1]} x86`],
  [/^windows(\d+)-aarch64/, (m) => `Windows ${m[1]} AArch64`],
  [/^win64-aarch64/, () => 'Windows AArch64'],
  [/^win64/, () => 'Windows x64'],
  [/^win32/, () => 'Windows x86'],
  [/^macosx(\d{2})(\d{2})-aarch64/, (m) => `macOS ${Number(m[1])}.${Number(m[2])} AArch64`],
  [/^macosx(\d{2})(\d{2})-64/, (m) => (Number(m[1]) >= 11 ? `macOS ${Number(m[1])}.${Number(m[2])}` : `OS X ${m[1]}.${m[2]}`)],
  [/^macosx64/, () => 'macOS x64'],
  [/^osx-cross/, () => 'macOS Cross Compiled'],
  [/^android-em-(\d+)-(\d+)-x86_64/, (m) => `Android ${m[1]}.${m[2]} x86-64`],
  [/^android-em-(\d+)-(\d+)-x86/, (m) => `Android ${m[1]}.${m[2]} x86`],
  [/^android-hw-([a-z0-9]+)-(\d+)-(\d+)-aarch64/, (m) => `Android ${m[2]}.${m[3]} ${m[1].toUpperCase()} AArch64`],
  [/^android-hw-([a-z0-9]+)-(\d+)-(\d+)-arm7/, (m) => `Android ${m[2]}.${m[3]} ${m[1].toUpperCase()} ARMv7`],
  [/^android-(\d+)-(\d+)-x86_64/, (m) => `Android ${m[1]}.${m[2]} x86-64`],
  [/^android/, () => 'Android'],
  [/^lint$/, () => 'Linting'],
  [/^gecko-decision$/, () => 'Gecko Decision Task'],
];

const SUFFIXES = [
  [/-shippable\b/, 'Shippable'],
  [/-qr\b/, 'WebRender'],
  [/-wayland\b/, 'Wayland'],
  [/-devedition\b/, 'DevEdition'],
  [/-asan\b/, 'ASan'],
  [/-tsan\b/, 'TSan'],
  [/-ccov\b/, 'CCov'],
  [/-mingwclang\b/, 'MinGW'],
];

const cache = new Map();

/** The readable name of a platform (cached: every job of a push asks). */
export function platformName(platform) {
  let name = cache.get(platform);
  if (name !== undefined) return name;
  name = platform;
  for (const [pattern, make] of OS_RULES) {
    const match = pattern.exec(platform);
    if (match) {
      name = make(match);
      break;
    }
  }
  if (name !== platform) {
    for (const [pattern, word] of SUFFIXES) if (pattern.test(platform)) name += ` ${word}`;
  }
  cache.set(platform, name);
  return name;
}

const OPTION_ORDER = ['opt', 'pgo', 'shippable', 'debug', 'asan', 'tsan', 'ccov'];

/** Sort key of an option string, so that rows of one platform come as opt, debug, asan, ... */
export function optionRank(options) {
  const index = OPTION_ORDER.indexOf(options.split(' ')[0]);
  return index === -1 ? OPTION_ORDER.length : index;
}
