/**
 * Turns a pcapng 64-bit timestamp (two u32 halves, in units of the interface's if_tsresol) into
 * seconds and nanoseconds, exactly. Decimal units down to 10^-9 (nearly every file: 10^-6 and
 * 10^-9) take a float-only path; other units (2^-x, 10^-12 …) go through BigInt, which is exact but
 * allocates, and is rare enough not to matter.
 */
export class TimestampResolution {
  /** results of the last `convert`, read straight after it (no object per frame) */
  seconds = 0;
  nanoseconds = 0;
  readonly description: string;
  private readonly unitsPerSecond: number;
  private readonly nanosecondsPerUnit: number;
  private readonly decimalFastPath: boolean;
  private readonly binaryExponent: number;
  private readonly bigUnitsPerSecond: bigint;

  /**
   * @param tsresol the if_tsresol byte: high bit clear = 10^-value seconds, set = 2^-(value & 0x7f)
   * @param offsetSeconds if_tsoffset, added to every timestamp
   */
  constructor(
    tsresol = 6,
    readonly offsetSeconds = 0,
  ) {
    const exponent = tsresol & 0x7f;
    const binary = (tsresol & 0x80) !== 0;
    this.description = binary ? `2^-${exponent}` : `10^-${exponent}`;
    this.binaryExponent = binary ? exponent : -1;
    this.decimalFastPath = !binary && exponent <= 9;
    this.unitsPerSecond = this.decimalFastPath ? 10 ** exponent : 0;
    this.nanosecondsPerUnit = this.decimalFastPath ? 10 ** (9 - exponent) : 0;
    this.bigUnitsPerSecond = binary ? 1n << BigInt(exponent) : 10n ** BigInt(exponent);
  }

  convert(high: number, low: number): void {
    if (!this.decimalFastPath) {
      this.convertExactly(high, low);
      return;
    }
    const divisor = this.unitsPerSecond;
    let seconds: number;
    let remainder: number;
    if (high < 0x200000) {
      // below 2^53 the value itself is an exact double; fix the float division's rounding after
      const value = high * 4294967296 + low;
      seconds = Math.floor(value / divisor);
      remainder = value - seconds * divisor;
      if (remainder < 0) {
        seconds -= 1;
        remainder += divisor;
      } else if (remainder >= divisor) {
        seconds += 1;
        remainder -= divisor;
      }
    } else {
      // long division in 16-bit digits keeps every intermediate below 2^46 (divisor < 2^30)
      const highQuotient = Math.floor(high / divisor);
      let rest = high - highQuotient * divisor;
      rest = rest * 65536 + (low >>> 16);
      const middleQuotient = Math.floor(rest / divisor);
      rest -= middleQuotient * divisor;
      rest = rest * 65536 + (low & 0xffff);
      const lowQuotient = Math.floor(rest / divisor);
      remainder = rest - lowQuotient * divisor;
      seconds = highQuotient * 4294967296 + middleQuotient * 65536 + lowQuotient;
    }
    this.seconds = seconds + this.offsetSeconds;
    this.nanoseconds = remainder * this.nanosecondsPerUnit;
  }

  private convertExactly(high: number, low: number): void {
    const units = (BigInt(high) << 32n) | BigInt(low);
    const seconds = units / this.bigUnitsPerSecond;
    const fraction = units - seconds * this.bigUnitsPerSecond;
    this.seconds = Number(seconds) + this.offsetSeconds;
    this.nanoseconds =
      this.binaryExponent >= 0
        ? Number((fraction * 1_000_000_000n) >> BigInt(this.binaryExponent))
        : Number((fraction * 1_000_000_000n) / this.bigUnitsPerSecond);
  }
}
