"""winargv.py: Windows command-line splitting as CommandLineToArgvW does it,
the way shrike's field model derives process.args (src/event/fieldmap.c). Shared
by the scenario generator and the benchmark generator (bench/gen_ecs.py)."""


def argv_windows(cmd):
    """CommandLineToArgvW: argv[0] runs to the next quote (if quoted) or blank, with no
    backslash processing; later arguments follow the 2n / 2n+1 backslash rules, and a doubled
    quote inside a quoted run is a literal quote. Elastic Endpoint reports this split."""
    args, i, n = [], 0, len(cmd)
    if n == 0:
        return args
    if cmd[0] == '"':
        j = cmd.find('"', 1)
        j = n if j < 0 else j
        args.append(cmd[1:j])
        i = j + 1
    else:
        j = i
        while j < n and cmd[j] not in ' \t':
            j += 1
        args.append(cmd[:j])
        i = j
    while True:
        while i < n and cmd[i] in ' \t':
            i += 1
        if i >= n:
            return args
        cur, inq = [], False
        while i < n:
            c = cmd[i]
            if c in ' \t' and not inq:
                break
            if c == '\\':
                k = i
                while k < n and cmd[k] == '\\':
                    k += 1
                nb = k - i
                if k < n and cmd[k] == '"':
                    cur.append('\\' * (nb // 2))
                    if nb % 2:
                        cur.append('"')
                        i = k + 1
                    else:
                        i = k
                    continue
                cur.append('\\' * nb)
                i = k
                continue
            if c == '"':
                if inq and i + 1 < n and cmd[i + 1] == '"':
                    cur.append('"')
                    i += 2
                    continue
                inq = not inq
                i += 1
                continue
            cur.append(c)
            i += 1
        args.append(''.join(cur))
