/*
 * conversations.wasm: the scoring program of Synod's sample data pool "conversations"
 * (issue 11). Freestanding C, no libc, integers only; built by build.sh.
 *
 * Input, scores and fingerprint are specified in README.md; the ABI (imports from "synod",
 * exports `memory` and `score`) in the crate doc of synod-data-score.
 */

typedef unsigned char u8;
typedef unsigned int u32;
typedef int i32;
typedef unsigned long long u64;
typedef long long i64;

/*
 * Fuel: wasmi charges a function, loop or `if` on entry for every operator inside it that is
 * not in a nested loop or `if`, executed or not (code skipped by a `br` out of a `block` is
 * paid for). So the per-byte path below is kept small, and everything rare (refilling the
 * buffer, escapes, the end of a word, whole messages) is a separate, never-inlined function.
 */
#define NOINLINE __attribute__((noinline))
#define IMPORT(name) __attribute__((import_module("synod"), import_name(#name)))
#define EXPORT(name) __attribute__((export_name(#name)))

IMPORT(input_len) i64 input_len(void);
IMPORT(input_read) i32 input_read(u8 *dst, i64 offset, i32 len);
IMPORT(index_count) i32 index_count(void);
IMPORT(index_entry_len) i32 index_entry_len(i32 entry);
IMPORT(index_read) i32 index_read(i32 entry, u8 *dst, i32 offset, i32 len);
IMPORT(set_scores) void set_scores(i32 authenticity, i32 ownership, i32 quality,
                                   i32 uniqueness, i32 score);
IMPORT(set_metadata) void set_metadata(const u8 *ptr, i32 len);

#define PPM 1000000u

/* ---- tunables of the scoring rule (README.md, "Scores") ---- */
#define TURNS_FULL 16u        /* messages for full turn credit */
#define AVG_LEN_FULL 256u     /* average content bytes per message for full length credit */
#define DISTINCT_WINDOW 8192u /* words whose distinctness is measured (the first ones) */
#define DISTINCT_FULL 400000u /* distinct-word ratio (ppm) for full diversity credit */
#define W_TURNS 25u
#define W_ALTERNATION 25u
#define W_LENGTH 20u
#define W_DIVERSITY 30u

/* ---- fingerprint ---- */
#define HASHES 64u
#define FP_LEN (4u + 4u * HASHES) /* magic + 64 little-endian u32 */
static const u8 FP_MAGIC[4] = {'S', 'M', 'H', 1};

/* ---- input stream ---- */
#define BUF_LEN 65536u
static u8 buf[BUF_LEN];
static u32 buf_len, buf_pos;
static u64 in_off, in_len;
static i32 ch; /* current byte, or -1 at the end of the input */

NOINLINE static void refill(void) {
    u64 want = in_len - in_off;
    ch = -1;
    if (in_off >= in_len) return;
    if (want > BUF_LEN) want = BUF_LEN;
    buf_len = (u32)input_read(buf, (i64)in_off, (i32)want);
    buf_pos = 0;
    in_off += buf_len;
    if (buf_len == 0) return;
    ch = buf[buf_pos++];
}

static void adv(void) {
    if (buf_pos < buf_len) ch = buf[buf_pos++];
    else refill();
}

/* ---- statistics of the conversation ---- */
static u32 messages, role_changes, last_role; /* role: 1 user, 2 assistant */
static u64 content_bytes, words;
static u32 distinct;
static u32 word_hash, in_word;
static u32 w1, w2; /* the two words before the current one */

#define TABLE_LEN 16384u /* 2 x DISTINCT_WINDOW: load at most 1/2 */
static u32 table[TABLE_LEN];

static u64 mh_a[HASHES], mh_b[HASHES];
static u32 sig[HASHES];

static u64 sm_state;
static u64 splitmix64(void) {
    u64 z = (sm_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static u32 rotl32(u32 x, u32 r) { return (x << r) | (x >> (32u - r)); }

static u32 fmix32(u32 h) {
    h ^= h >> 16;
    h *= 0x85EBCA6Bu;
    h ^= h >> 13;
    h *= 0xC2B2AE35u;
    h ^= h >> 16;
    return h;
}

#define FNV_OFFSET 0x811C9DC5u
#define FNV_PRIME 0x01000193u

/* A word with FNV-1a hash `h` ended: count it, and update the MinHash signature with the
 * shingle it closes. The caller resets the running word hash. */
NOINLINE static void end_word(u32 h) {
    words++;
    if (words <= DISTINCT_WINDOW) {
        u32 key = h ? h : 1u;
        u32 slot = key & (TABLE_LEN - 1u);
        while (table[slot] != 0 && table[slot] != key) slot = (slot + 1u) & (TABLE_LEN - 1u);
        if (table[slot] == 0) {
            table[slot] = key;
            distinct++;
        }
    }
    if (words >= 3) {
        u32 x = fmix32(w1 ^ rotl32(w2, 10) ^ rotl32(h, 20));
        for (u32 i = 0; i < HASHES; i++) {
            u32 v = (u32)((mh_a[i] * (u64)x + mh_b[i]) >> 32);
            if (v < sig[i]) sig[i] = v;
        }
    }
    w1 = w2;
    w2 = h;
}

/* WORD[b]: 0 for a separator, else the byte as it is hashed (ASCII letters lowercased). */
static u8 WORD[256];

static void init_words(void) {
    for (u32 b = 0; b < 256; b++) {
        u32 w = 0;
        if ((b >= '0' && b <= '9') || (b >= 'a' && b <= 'z') || b >= 0x80u) w = b;
        else if (b >= 'A' && b <= 'Z') w = b + 32u;
        WORD[b] = (u8)w;
    }
}

/* One decoded content byte (used for the bytes of escapes; content_run inlines it). */
static void content_byte(u32 b) {
    u32 w = WORD[b & 0xFFu];
    content_bytes++;
    if (w) {
        word_hash = (word_hash ^ w) * FNV_PRIME;
        in_word = 1;
    } else if (in_word) {
        end_word(word_hash);
        word_hash = FNV_OFFSET;
        in_word = 0;
    }
}

/* The per-byte hot path: content bytes from `ch` on, up to the first '"', backslash, control
 * byte or the end of the input, which is left in `ch`. */
NOINLINE static void content_run(void) {
    i32 c = ch;
    u32 h = word_hash, inw = in_word;
    u64 n = content_bytes;
    while (c != '"' && c != '\\' && c >= 0x20) {
        u32 w = WORD[c];
        n++;
        if (w) {
            h = (h ^ w) * FNV_PRIME;
            inw = 1;
        } else if (inw) {
            end_word(h);
            h = FNV_OFFSET;
            inw = 0;
        }
        if (buf_pos < buf_len) {
            c = buf[buf_pos++];
        } else {
            refill();
            c = ch;
        }
    }
    ch = c;
    word_hash = h;
    in_word = inw;
    content_bytes = n;
}

/* ---- JSON ---- */
#define SMALL_LEN 16u
static u8 small[SMALL_LEN];
static u32 small_len;
static u32 small_over; /* the string did not fit in `small` */
static u32 to_content; /* decoded bytes go to content_byte, not to `small` */

NOINLINE static void emit(u32 b) {
    if (to_content) {
        content_byte(b);
    } else if (small_len < SMALL_LEN) {
        small[small_len++] = (u8)b;
    } else {
        small_over = 1;
    }
}

static void skip_ws(void) {
    while (ch == ' ' || ch == '\t' || ch == '\r') adv();
}

static i32 hex_digit(i32 c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* At a backslash: decodes one escape, emits its bytes and moves past it. 1 if valid. */
NOINLINE static u32 escape(void) {
    adv();
    switch (ch) {
    case '"': emit('"'); break;
    case '\\': emit('\\'); break;
    case '/': emit('/'); break;
    case 'b': emit(0x08); break;
    case 'f': emit(0x0C); break;
    case 'n': emit(0x0A); break;
    case 'r': emit(0x0D); break;
    case 't': emit(0x09); break;
    case 'u': {
        u32 v = 0;
        for (u32 k = 0; k < 4; k++) {
            i32 d;
            adv();
            d = hex_digit(ch);
            if (d < 0) return 0;
            v = (v << 4) | (u32)d;
        }
        /* UTF-8 of the code unit; surrogates are encoded one by one (as WTF-8 does). */
        if (v < 0x80u) {
            emit(v);
        } else if (v < 0x800u) {
            emit(0xC0u | (v >> 6));
            emit(0x80u | (v & 0x3Fu));
        } else {
            emit(0xE0u | (v >> 12));
            emit(0x80u | ((v >> 6) & 0x3Fu));
            emit(0x80u | (v & 0x3Fu));
        }
        break;
    }
    default: return 0;
    }
    adv();
    return 1;
}

/* Scans a JSON string at `ch` (which must be '"'), emitting its decoded bytes to content_byte
 * if `to_content`, else to `small`. 1 if valid. */
static u32 scan_string(void) {
    if (ch != '"') return 0;
    adv();
    for (;;) {
        i32 c;
        if (to_content) content_run();
        c = ch;
        if (c == '"') break;
        if (c == '\\') {
            if (!escape()) return 0;
            continue;
        }
        if (c < 0x20) return 0; /* end of input (-1), or a raw control byte */
        emit((u32)c);
        adv();
    }
    adv();
    return 1;
}

static u32 small_is(const char *s) {
    u32 n = 0;
    if (small_over) return 0;
    while (s[n]) {
        if (n >= small_len || small[n] != (u8)s[n]) return 0;
        n++;
    }
    return n == small_len;
}

NOINLINE static u32 scan_small(void) {
    small_len = 0;
    small_over = 0;
    to_content = 0;
    return scan_string();
}

/* One message object: exactly the members "role" and "content", in either order. */
NOINLINE static u32 scan_message(void) {
    u32 role = 0, have_content = 0;
    if (ch != '{') return 0;
    adv();
    for (;;) {
        skip_ws();
        if (!scan_small()) return 0;
        skip_ws();
        if (ch != ':') return 0;
        adv();
        skip_ws();
        if (small_is("role")) {
            if (role) return 0;
            if (!scan_small()) return 0;
            if (small_is("user")) role = 1;
            else if (small_is("assistant")) role = 2;
            else return 0;
        } else if (small_is("content")) {
            if (have_content) return 0;
            to_content = 1;
            if (!scan_string()) return 0;
            to_content = 0;
            if (in_word) {
                end_word(word_hash);
                word_hash = FNV_OFFSET;
                in_word = 0;
            }
            have_content = 1;
        } else {
            return 0;
        }
        skip_ws();
        if (ch == ',') {
            adv();
            continue;
        }
        if (ch != '}') return 0;
        adv();
        break;
    }
    if (!role || !have_content) return 0;
    if (messages > 0 && role != last_role) role_changes++;
    last_role = role;
    messages++;
    return 1;
}

/* The whole export: messages one per line, blank lines allowed. */
static u32 scan_export(void) {
    adv();
    for (;;) {
        skip_ws();
        if (ch < 0) break;
        if (ch == '\n') {
            adv();
            continue;
        }
        if (!scan_message()) return 0;
        skip_ws();
        if (ch == '\n') {
            adv();
            continue;
        }
        if (ch < 0) break;
        return 0;
    }
    return messages > 0;
}

/* ---- scores ---- */
static u64 min_u64(u64 a, u64 b) { return a < b ? a : b; }

NOINLINE static u32 quality_ppm(void) {
    u64 turns = min_u64(messages, TURNS_FULL) * PPM / TURNS_FULL;
    u64 alternation = messages > 1 ? (u64)role_changes * PPM / (messages - 1u) : 0;
    u64 length = min_u64(content_bytes / messages, AVG_LEN_FULL) * PPM / AVG_LEN_FULL;
    u64 counted = min_u64(words, DISTINCT_WINDOW);
    u64 ratio = counted ? (u64)distinct * PPM / counted : 0;
    u64 diversity = min_u64(ratio, DISTINCT_FULL) * PPM / DISTINCT_FULL;
    return (u32)((turns * W_TURNS + alternation * W_ALTERNATION + length * W_LENGTH +
                  diversity * W_DIVERSITY) /
                 100u);
}

static u8 fingerprint[FP_LEN];
static u8 entry[FP_LEN];

static u32 get_le32(const u8 *p) {
    return (u32)p[0] | ((u32)p[1] << 8) | ((u32)p[2] << 16) | ((u32)p[3] << 24);
}

/* Most slots any well-formed index entry shares with this file's signature. */
NOINLINE static u32 best_match(void) {
    i32 n = index_count();
    u32 best = 0;
    for (i32 e = 0; e < n; e++) {
        u32 same = 0;
        if (index_entry_len(e) != (i32)FP_LEN) continue;
        index_read(e, entry, 0, (i32)FP_LEN);
        if (entry[0] != FP_MAGIC[0] || entry[1] != FP_MAGIC[1] || entry[2] != FP_MAGIC[2] ||
            entry[3] != FP_MAGIC[3])
            continue;
        for (u32 i = 0; i < HASHES; i++) same += get_le32(entry + 4u + 4u * i) == sig[i];
        if (same > best) best = same;
    }
    return best;
}

EXPORT(score) i32 score(void) {
    u32 quality, uniqueness, score;

    sm_state = 0x53594E4F44ull; /* "SYNOD" */
    for (u32 i = 0; i < HASHES; i++) {
        mh_a[i] = splitmix64() | 1u;
        mh_b[i] = splitmix64();
        sig[i] = 0xFFFFFFFFu;
    }
    init_words();
    word_hash = FNV_OFFSET;
    in_len = (u64)input_len();

    if (!scan_export()) {
        set_scores(0, 0, 0, 0, 0);
        return 0;
    }

    for (u32 k = 0; k < 4; k++) fingerprint[k] = FP_MAGIC[k];
    for (u32 i = 0; i < HASHES; i++) {
        fingerprint[4 + 4 * i] = (u8)sig[i];
        fingerprint[5 + 4 * i] = (u8)(sig[i] >> 8);
        fingerprint[6 + 4 * i] = (u8)(sig[i] >> 16);
        fingerprint[7 + 4 * i] = (u8)(sig[i] >> 24);
    }
    set_metadata(fingerprint, (i32)FP_LEN);

    quality = quality_ppm();
    uniqueness = words >= 3 ? (HASHES - best_match()) * (PPM / HASHES) : 0;
    score = (u32)((u64)quality * uniqueness / PPM);
    set_scores((i32)PPM, (i32)PPM, (i32)quality, (i32)uniqueness, (i32)score);
    return 0;
}
