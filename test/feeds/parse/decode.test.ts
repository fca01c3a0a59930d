import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { decodeFeedBytes } from '../../../src/feeds/parse/decode.js';

const enc = (s: string, e: string): Uint8Array => new Uint8Array(iconv.encode(s, e));
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
const cat = (...parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
};

const RU = 'Новости: Путин и Зеленский';
const JA = '東京で地震、震度５弱を観測';
const KO = '북한 미사일 발사';
const ZH_T = '臺灣新聞報導';
const ZH_S = '中国新闻报道';

describe('decodeFeedBytes', () => {
  it('decodes windows-1251 declared in the XML declaration', () => {
    const body = enc(`<?xml version="1.0" encoding="windows-1251"?><rss><channel><title>${RU}</title></channel></rss>`, 'win1251');
    const { text, encoding } = decodeFeedBytes(body);
    expect(encoding).toBe('windows-1251');
    expect(text).toContain(RU);
    expect(text).not.toContain('\ufffd');
  });

  it('decodes Shift_JIS, EUC-KR, Big5, GB2312, KOI8-R from the declaration', () => {
    for (const [label, codec, sample] of [
      ['Shift_JIS', 'shift_jis', JA],
      ['EUC-JP', 'euc-jp', JA],
      ['EUC-KR', 'euc-kr', KO],
      ['Big5', 'big5', ZH_T],
      ['GB2312', 'gb2312', ZH_S],
      ['KOI8-R', 'koi8-r', RU],
      ['IBM866', 'ibm866', RU],
    ] as const) {
      const body = enc(`<?xml version="1.0" encoding="${label}"?>\n<rss><channel><title>${sample}</title></channel></rss>`, codec);
      const { text } = decodeFeedBytes(body);
      expect(text, label).toContain(sample);
    }
  });

  it('lets the Content-Type charset win over the XML declaration', () => {
    const body = enc(`<?xml version="1.0" encoding="iso-8859-1"?><rss><title>${RU}</title></rss>`, 'win1251');
    const { text, encoding } = decodeFeedBytes(body, 'application/rss+xml; charset="windows-1251"');
    expect(encoding).toBe('windows-1251');
    expect(text).toContain(RU);
  });

  it('ignores a Content-Type "utf-8" that the bytes contradict', () => {
    const body = enc(`<?xml version="1.0" encoding="Shift_JIS"?><rss><title>${JA}</title></rss>`, 'shift_jis');
    expect(decodeFeedBytes(body, 'text/xml; charset=utf-8').text).toContain(JA);
  });

  it('honours BOMs over every declaration', () => {
    const xml = `<?xml version="1.0" encoding="windows-1252"?><rss><title>${RU} ${JA}</title></rss>`;
    const u8 = decodeFeedBytes(cat(new Uint8Array([0xef, 0xbb, 0xbf]), utf8(xml)), 'text/xml; charset=iso-8859-1');
    expect(u8.encoding).toBe('utf-8');
    expect(u8.text.startsWith('<?xml')).toBe(true);
    expect(u8.text).toContain(JA);
    const le = decodeFeedBytes(cat(new Uint8Array([0xff, 0xfe]), enc(xml, 'utf16le')));
    expect(le.encoding).toBe('utf-16le');
    expect(le.text.startsWith('<?xml')).toBe(true);
    expect(le.text).toContain(RU);
    const be = decodeFeedBytes(cat(new Uint8Array([0xfe, 0xff]), enc(xml, 'utf16be')));
    expect(be.encoding).toBe('utf-16be');
    expect(be.text).toContain(JA);
  });

  it('detects UTF-16/32 without a BOM from the "<?xml" byte pattern', () => {
    const xml = `<?xml version="1.0" encoding="utf-16"?><rss><title>${KO}</title></rss>`;
    expect(decodeFeedBytes(enc(xml, 'utf16be')).text).toContain(KO);
    expect(decodeFeedBytes(enc(xml, 'utf16le')).text).toContain(KO);
    expect(decodeFeedBytes(enc(xml, 'utf32be')).text).toContain(KO);
    expect(decodeFeedBytes(enc(xml, 'utf32le')).encoding).toBe('utf-32le');
  });

  it('ignores a UTF-16 declaration on 8-bit bytes', () => {
    const { text, encoding } = decodeFeedBytes(utf8(`<?xml version="1.0" encoding="UTF-16"?><rss><title>${RU}</title></rss>`));
    expect(encoding).toBe('utf-8');
    expect(text).toContain(RU);
  });

  it('falls back to UTF-8 when valid, else windows-1252', () => {
    expect(decodeFeedBytes(utf8(`<rss><title>${JA}</title></rss>`)).encoding).toBe('utf-8');
    const latin = enc('<rss><title>Café “quoted” – naïve €5</title></rss>', 'windows-1252');
    const out = decodeFeedBytes(latin);
    expect(out.encoding).toBe('windows-1252');
    expect(out.text).toContain('Café “quoted” – naïve €5');
  });

  it('reads "iso-8859-1" as windows-1252 (smart quotes survive)', () => {
    const body = enc('<?xml version="1.0" encoding="ISO-8859-1"?><rss><title>“Euro” €</title></rss>', 'windows-1252');
    const out = decodeFeedBytes(body);
    expect(out.encoding).toBe('windows-1252');
    expect(out.text).toContain('“Euro” €');
  });

  it('treats "utf-8" declared over latin-1 bytes as windows-1252, but keeps mostly-UTF-8 text', () => {
    const lie = enc('<?xml version="1.0" encoding="utf-8"?><rss><title>Größe Straße Café</title></rss>', 'windows-1252');
    expect(decodeFeedBytes(lie).text).toContain('Größe Straße Café');
    const mostly = cat(utf8('<?xml version="1.0" encoding="utf-8"?><rss><title>東京 Größe Straße Café'), new Uint8Array([0xff]), utf8('</title></rss>'));
    const out = decodeFeedBytes(mostly);
    expect(out.encoding).toBe('utf-8');
    expect(out.text).toContain('東京 Größe');
  });

  it('handles empty and unknown labels without throwing', () => {
    expect(decodeFeedBytes(new Uint8Array())).toEqual({ text: '', encoding: 'utf-8' });
    const { text } = decodeFeedBytes(utf8('<?xml version="1.0" encoding="x-no-such-charset"?><rss/>'), 'text/xml; charset=bogus');
    expect(text).toContain('<rss/>');
  });

  it('lets bytes that are valid UTF-8 win over a declared single-byte charset ("Kursziel fÃ¼r NVIDIA")', () => {
    const headline = 'Kursziel für NVIDIA – „Kaufen“';
    const declared = decodeFeedBytes(utf8(`<?xml version="1.0" encoding="ISO-8859-1"?><rss><title>${headline}</title></rss>`));
    expect(declared.encoding).toBe('utf-8');
    expect(declared.text).toContain(headline);
    const header = decodeFeedBytes(utf8(`<rss><title>${RU}</title></rss>`), 'text/xml; charset=windows-1251');
    expect(header.encoding).toBe('utf-8');
    expect(header.text).toContain(RU);
  });

  it('keeps a declared single-byte charset whose bytes are not UTF-8, and any declaration over pure ASCII', () => {
    const latin = decodeFeedBytes(enc('<?xml version="1.0" encoding="ISO-8859-1"?><rss><title>Kursziel für NVIDIA</title></rss>', 'latin1'));
    expect(latin.encoding).toBe('windows-1252');
    expect(latin.text).toContain('Kursziel für NVIDIA');
    // 7-bit bytes carry no evidence either way (and ISO-2022 encodings are pure ASCII): the label stands.
    expect(decodeFeedBytes(utf8('<?xml version="1.0" encoding="koi8-r"?><rss><title>plain</title></rss>')).encoding).toBe('koi8-r');
  });

  it('lets UTF-8 win over a declared multi-byte charset only on enough UTF-8 characters', () => {
    const ja = decodeFeedBytes(utf8(`<?xml version="1.0" encoding="Shift_JIS"?><rss><title>${JA}</title></rss>`));
    expect(ja.encoding).toBe('utf-8');
    expect(ja.text).toContain(JA);
    expect(decodeFeedBytes(utf8(`<rss><title>${ZH_S}</title></rss>`), 'text/xml; charset=GBK').text).toContain(ZH_S);
    // 짝 and 짜 in EUC-KR happen to be valid two-byte UTF-8 sequences; two such characters are not evidence enough.
    const ko = enc('<?xml version="1.0" encoding="EUC-KR"?><rss><title>짝 짜</title></rss>', 'cp949');
    const out = decodeFeedBytes(ko);
    expect(out.encoding).toBe('cp949');
    expect(out.text).toContain('짝 짜');
  });

  describe('detection of undeclared legacy bytes (chardet)', () => {
    const para = (s: string, n = 6): string => Array.from({ length: n }, (_, i) => `<item><title>${s} ${i}</title><description>${s}</description></item>`).join('\n');
    const JA_TEXT = '東京都は十日、新型の感染症対策として、飲食店に営業時間の短縮を要請すると発表しました。知事は記者会見で、年末年始の人の動きに注意するよう呼びかけています。';
    const KO_TEXT = '정부는 오늘 내년도 예산안을 국회에 제출했다고 밝혔습니다. 이번 예산안은 경제 회복과 일자리 창출에 중점을 두고 있으며, 복지 예산도 크게 늘었습니다.';
    const ZH_TEXT = '国家统计局今天发布数据显示，今年前三季度国内生产总值同比增长，经济运行总体平稳，就业形势保持稳定，居民收入继续增加。';
    const RU_TEXT = 'Правительство России в понедельник объявило о новых мерах поддержки экономики. Министр финансов заявил, что бюджет на следующий год будет сбалансирован, а расходы на социальные программы вырастут.';
    const TH_TEXT = 'สำนักงานส่งเสริมอุตสาหกรรมซอฟต์แวร์แห่งชาติ ร่วมกับ ขอเรียนเชิญทุกท่านที่สนใจส่งผลงานเข้าร่วมการประกวด';

    it('detects Shift_JIS, EUC-KR, GB18030 and KOI8-R when nothing is declared', () => {
      for (const [codec, sample, expected] of [
        ['shift_jis', JA_TEXT, 'shift_jis'],
        ['cp949', KO_TEXT, 'cp949'],
        ['gb18030', ZH_TEXT, 'gb18030'],
        ['koi8-r', RU_TEXT, 'koi8-r'],
      ] as const) {
        const out = decodeFeedBytes(enc(`<rss><channel>${para(sample)}</channel></rss>`, codec));
        expect(out.encoding, codec).toBe(expected);
        expect(out.text, codec).toContain(sample);
      }
    });

    it('reads Thai as windows-874 when chardet is unsure but windows-1252 would give symbols, not words', () => {
      const out = decodeFeedBytes(enc(`<rss><channel>${para(TH_TEXT, 1)}</channel></rss>`, 'windows-874'));
      expect(out.encoding).toBe('windows-874');
      expect(out.text).toContain(TH_TEXT);
    });

    it('decides from a bounded window: what follows 256 KB of text does not change the guess', () => {
      const head = enc(`<rss><channel>${para(JA_TEXT)}`, 'shift_jis');
      const filler = utf8(`<item><title>${'x'.repeat(300 * 1024)}</title></item>`);
      const tail = enc(`${para(RU_TEXT, 200)}</channel></rss>`, 'koi8-r');
      const out = decodeFeedBytes(cat(head, filler, tail));
      expect(out.encoding).toBe('shift_jis');
      expect(out.text).toContain(JA_TEXT);
    });
  });
});
