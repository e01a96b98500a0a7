"Run All of each notebook (default: nbdev's list) in a real IPython kernel with nbclient, outputs not saved"
import argparse, os, re, subprocess, sys, time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

def run_one(fn, cell_timeout):
    "Execute notebook `fn` in a kernel named python3, cwd its folder; raise on the first failing cell"
    import nbformat
    from nbclient import NotebookClient
    fn = Path(fn).resolve()
    nb = nbformat.read(fn, as_version=4)
    client = NotebookClient(nb, timeout=cell_timeout, kernel_name='python3', resources={'metadata': {'path': str(fn.parent)}})
    client.execute()

def tail(s, n=30):
    "The last `n` non-blank lines of `s`, ANSI colours removed"
    lines = [l for l in re.sub(r'\x1b\[[0-9;]*m', '', s).splitlines() if l.strip()]
    return '\n'.join('    ' + l for l in lines[-n:])

def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument('nbs', nargs='*', help='notebooks (default: nbdev.doclinks.nbglob())')
    p.add_argument('--workers', type=int, default=2, help='notebooks run at once')
    p.add_argument('--cell-timeout', type=int, default=None, help="seconds per cell (default: nbdev's cell_timeout)")
    p.add_argument('--nb-timeout', type=int, default=1800, help='seconds per notebook, start-up included')
    p.add_argument('--one', help=argparse.SUPPRESS)  # internal: run this one notebook in this process
    a = p.parse_args()
    if a.one:
        from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError
        try: return run_one(a.one, a.cell_timeout)
        except (CellExecutionError, CellTimeoutError, DeadKernelError) as e: print(e, file=sys.stderr); return 1  # the cell and its traceback
    from nbdev.config import get_config
    from nbdev.doclinks import nbglob
    cell_timeout = a.cell_timeout or int(get_config().get('cell_timeout', 600) or 600)
    fns = [Path(f) for f in (a.nbs or sorted(nbglob()))]
    # A kernel picks its own matplotlib backend (inline), as in Jupyter: an inherited MPLBACKEND=Agg shows no figures.
    env = {k: v for k, v in os.environ.items() if k != 'MPLBACKEND'}
    # Each notebook's last cell, nbdev_export(), rewrites every module of the package; two kernels at once would do that while
    # the other imports them (one got a half-written reference.py). IN_TEST makes it a no-op, as nbdev-test does.
    env['IN_TEST'] = '1'

    def run(fn):
        t0 = time.perf_counter()
        cmd = [sys.executable, __file__, '--one', str(fn), '--cell-timeout', str(cell_timeout)]
        try:
            r = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=a.nb_timeout)
            ok, err = r.returncode == 0, r.stderr
        except subprocess.TimeoutExpired as e:  # a backstop: nbclient stops a cell after cell_timeout
            ok, err = False, f"{(e.stderr or b'').decode(errors='replace')}\nnotebook timed out after {a.nb_timeout} s"
        dt = time.perf_counter() - t0
        print(f"{'ok    ' if ok else 'FAILED'} {fn.name} ({dt:.0f} s)" + ('' if ok else '\n' + tail(err)), flush=True)
        return ok

    t0 = time.perf_counter()
    with ThreadPoolExecutor(a.workers) as ex: res = list(ex.map(run, fns))
    failed = res.count(False)
    print(f"({time.perf_counter()-t0:.0f} s)\n{len(res)-failed} passed in a kernel, {failed} failed", flush=True)
    return 1 if failed else 0

if __name__ == '__main__': sys.exit(main())
