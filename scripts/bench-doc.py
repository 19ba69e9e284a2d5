#!/usr/bin/env python3
"""Rewrites the tables of docs/bench.md from a benchmark run's JSON (scripts/bench.sh writes
docs/bench-results.json): the ratios, every competitor's medians, the copy figures and the
errors on the golden vectors. The prose around them is left as it is; update it by hand.

    python3 scripts/bench-doc.py docs/bench-results.json docs/bench.md
"""
import json, sys, re
d = json.load(open(sys.argv[1]))
doc = open(sys.argv[2]).read()
med = d['medians']
cases = sorted({k.rsplit('/', 1)[0] for k in med if not k.startswith('copy/')})
peers = ['simd', 'simd-cr', 'builtin-scalar', 'xnnpack', 'onednn', 'eigen', 'sleef', 'libtorch', 'std-loop']
rows = ['| case | ' + ' | '.join(peers) + ' |', '|---|' + '---:|' * len(peers)]
for c in cases:
    vals = []
    for p in peers:
        m = med.get(c + '/' + p)
        vals.append('%.3f' % m['elements_per_ns'] if m else '')
    rows.append('| ' + c + ' | ' + ' | '.join(vals) + ' |')
every = '\n'.join(rows) + '\n'
ratios = '\n'.join(l for l in d['table_markdown'].split('\n') if l.startswith('|')) + '\n'
cp = lambda k: med['copy/' + k]['elements_per_ns']
copies = ('Copies: 4 MiB `memcpy` %.2f, non-temporal %.2f; 256 MiB `memcpy` %.2f, non-temporal %.2f\n'
          'elements/ns (an element is 4 bytes read and 4 written).\n') % (cp('4MiB/memcpy'), cp('4MiB/memcpy-nt'), cp('256MiB/memcpy'), cp('256MiB/memcpy-nt'))
epeers = ['simd', 'simd-cr', 'xnnpack', 'onednn', 'eigen', 'sleef', 'libtorch', 'std-loop']
err = d['errors']
erows = ['| function | ' + ' | '.join(epeers) + ' |', '|---|' + '---|' * len(epeers)]
def fmt(v):
    if v >= 1000: return '%.2g' % v
    return ('%.3g' % v)
order = ['sigmoid', 'tanh', 'silu', 'elu', 'softplus', 'mish', 'relu', 'leaky_relu', 'relu6', 'softmax', 'log_softmax',
         'logsumexp', 'cross_entropy', 'binary_cross_entropy_with_logits', 'mse', 'mae', 'huber']
for f in order:
    if f not in err: continue
    cells = []
    for p in epeers:
        e = err[f].get(p)
        cells.append('%s (%d/%d; %d; %d)' % (fmt(e['max_ulps']), e['over_strict'], e['values'], e['nan_inf_wrong'], e['subnormals_flushed']) if e else '')
    erows.append('| ' + f + ' | ' + ' | '.join(cells) + ' |')
errors = '\n'.join(erows) + '\n'
# replace sections
def repl(doc, start_pat, new):
    i = doc.index(start_pat)
    # table starts at first '|' line after start_pat; ends at first line not starting with '|'
    j = doc.index('\n|', i) + 1
    k = j
    lines = doc[j:].split('\n')
    n = 0
    for ln in lines:
        if not ln.startswith('|'): break
        n += len(ln) + 1
    return doc[:j] + new + doc[j + n:]
doc = repl(doc, '### Ratios (medians, elements per ns)', ratios)
doc = re.sub(r'Copies: 4 MiB `memcpy`.*?\nelements/ns \(an element is 4 bytes read and 4 written\)\.\n', copies, doc, flags=re.S)
doc = repl(doc, '### Every competitor (medians, elements per ns)', every)
doc = repl(doc, 'NaN or infinity wrong; subnormal results returned as zero):', errors)
open(sys.argv[2], 'w').write(doc)
