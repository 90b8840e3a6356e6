// Times and numbers as the console shows them. The API sends ISO 8601 with +08:00; staff read China time
// whatever the computer's own time zone.

const TIME_ZONE = "Asia/Shanghai";
const dateTime = new Intl.DateTimeFormat("zh-CN", {
  timeZone: TIME_ZONE, year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit",
  hourCycle: "h23",
});
const dateOnly = new Intl.DateTimeFormat("zh-CN", { timeZone: TIME_ZONE, year: "numeric", month: "2-digit", day: "2-digit" });
const timeOnly = new Intl.DateTimeFormat("zh-CN", { timeZone: TIME_ZONE, hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
const integer = new Intl.NumberFormat("zh-CN");

/** Milliseconds since the epoch of an ISO 8601 time with offset (microseconds allowed). */
export function parseInstant(text) {
  // Date.parse reads at most milliseconds: cut the fraction to three digits first.
  return Date.parse(String(text).replace(/(\.\d{3})\d+/, "$1"));
}

function parts(formatter, value) {
  const date = value instanceof Date ? value : new Date(typeof value === "number" ? value : parseInstant(value));
  if (Number.isNaN(date.getTime())) return null;
  return Object.fromEntries(formatter.formatToParts(date).map((part) => [part.type, part.value]));
}

/** "2026-11-28 09:30" in China time; "" for nothing. */
export function formatDateTime(value) {
  if (value === null || value === undefined || value === "") return "";
  const p = parts(dateTime, value);
  return p ? `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}` : String(value);
}

export function formatDate(value) {
  if (value === null || value === undefined || value === "") return "";
  const p = parts(dateOnly, value);
  return p ? `${p.year}-${p.month}-${p.day}` : String(value);
}

export function formatTime(value) {
  const p = parts(timeOnly, value);
  return p ? `${p.hour}:${p.minute}` : "";
}

export function formatNumber(value) {
  return value === null || value === undefined ? "" : integer.format(value);
}

/** A datetime-local input's value ("2026-11-28T09:30"), read as China time, in ISO 8601 with offset. */
export function shanghaiIso(localValue) {
  if (!localValue) return null;
  const withSeconds = localValue.length === 16 ? `${localValue}:00` : localValue;
  return `${withSeconds}+08:00`;
}

/** Points with their sign: "+5", "-30". */
export function signed(points) {
  return points > 0 ? `+${points}` : String(points);
}
