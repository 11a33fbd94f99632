"""Warm Jupyter kernels for papermill: one kernel runs many cards and is reset between them.

Starting a Python kernel and importing pandas and matplotlib costs seconds; running a card in a kernel
that is already up costs a fraction of that. The ``hyte-warm`` papermill engine keeps one kernel alive
per worker process and, before every notebook, puts it back into the state of a fresh kernel:

- the user namespace, ``In``/``Out`` and the execution counter (IPython ``reset(new_session=True)``);
- matplotlib figures (closed) and ``rcParams``, pandas and numpy options;
- warning filters and the "already shown" registries (so a warning shows in every card, as when fresh);
- the working directory, ``os.environ``, ``sys.path`` and the locale;
- hyte's per-process caches (``functools.lru_cache`` functions and ``_CACHE`` dicts in hyte modules).

Modules stay imported: that is the point. tests/test_batch.py proves that cards made this way equal
cards made in fresh kernels. A kernel that dies or times out is restarted before the next notebook.
"""

from __future__ import annotations

import ast
import copy
import json
import locale
import os
import sys
import warnings
from collections.abc import Iterable
from pathlib import Path
from typing import Any

ENGINE_NAME = "hyte-warm"
_HIST = "--HistoryManager.hist_file=:memory:"

# --- inside the kernel --------------------------------------------------------------------------

_baseline: dict[str, Any] | None = None


def warm_up(modules: Iterable[str] = ()) -> None:
    """(Runs in the kernel.) Import ``modules`` and remember the kernel's clean state."""
    global _baseline
    for name in modules:
        try:
            __import__(name)
        except Exception:  # the card itself will report a broken import
            pass
    if "matplotlib.pyplot" in sys.modules:
        import matplotlib.pyplot as plt

        plt.figure()  # resolve the (inline) backend now, so its rcParams are part of the baseline
        plt.close("all")
    if any(m == "hyte.card" or m.startswith("hyte.card.") for m in modules):
        try:  # the project's inputs, kept across the cards while their files are unchanged
            from hyte.context import load_context

            ctx = load_context()
            ctx.region_rows([ctx.country_id])
        except Exception:  # a card with other parameters, or broken inputs: the card reports it
            pass
    _baseline = _capture_state()


def _capture_state() -> dict[str, Any]:
    state: dict[str, Any] = {
        "cwd": os.getcwd(),
        "environ": dict(os.environ),
        "sys_path": list(sys.path),
        "warning_filters": list(warnings.filters),
        "locale": locale.setlocale(locale.LC_ALL),
    }
    if "matplotlib" in sys.modules:
        import matplotlib

        state["rcparams"] = copy.deepcopy(dict(matplotlib.rcParams))
    if "numpy" in sys.modules:
        import numpy

        state["numpy_err"] = numpy.geterr()
        state["numpy_print"] = numpy.get_printoptions()
    return state


def reset_kernel_state() -> None:
    """(Runs in the kernel.) Put the kernel back into its state right after :func:`warm_up`."""
    if _baseline is None:
        warm_up()
    base = _baseline or {}
    from IPython import get_ipython

    shell = get_ipython()
    if shell is not None:
        shell.reset(new_session=True)  # user namespace, In/Out, execution counter back to 1
    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")
    if "matplotlib" in sys.modules and "rcparams" in base:
        matplotlib = sys.modules["matplotlib"]
        dict.update(matplotlib.rcParams, base["rcparams"])  # as matplotlib.rc_context restores
    if "pandas" in sys.modules:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            sys.modules["pandas"].reset_option("all")
    if "numpy" in sys.modules:
        numpy = sys.modules["numpy"]
        if "numpy_err" in base:
            numpy.seterr(**base["numpy_err"])
        if "numpy_print" in base:
            numpy.set_printoptions(**base["numpy_print"])
    warnings.filters[:] = base.get("warning_filters", warnings.filters)
    warnings.onceregistry.clear()
    warnings._filters_mutated()  # empties every module's "already warned" registry
    os.chdir(base.get("cwd", os.getcwd()))
    if "environ" in base:
        os.environ.clear()
        os.environ.update(base["environ"])
    sys.path[:] = base.get("sys_path", sys.path)
    if "locale" in base:
        locale.setlocale(locale.LC_ALL, base["locale"])
    clear_hyte_caches()


def clear_hyte_caches() -> None:
    """Empty hyte's per-process caches: ``lru_cache`` functions and ``_CACHE`` dicts of hyte modules."""
    for name, module in list(sys.modules.items()):
        if module is None or not (name == "hyte" or name.startswith("hyte.")):
            continue
        for value in list(vars(module).values()):
            clear = getattr(value, "cache_clear", None)
            if callable(clear) and getattr(value, "__module__", None) == name:
                clear()
        cache = vars(module).get("_CACHE")
        if isinstance(cache, dict):
            cache.clear()


# --- outside the kernel: which modules to warm up -------------------------------------------------


def notebook_imports(notebook: Path | dict) -> list[str]:
    """Modules the notebook's code cells import at top level: ``import x`` gives x, ``from x import y``
    gives x and x.y (y may be a submodule; warm-up skips names that are not modules)."""
    nb = notebook if isinstance(notebook, dict) else json.loads(Path(notebook).read_text("utf-8"))
    names: list[str] = []
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else source
        lines = [line for line in source.splitlines() if not line.lstrip().startswith(("%", "!"))]
        try:
            tree = ast.parse("\n".join(lines))
        except SyntaxError:
            continue
        for node in tree.body:
            if isinstance(node, ast.Import):
                names += [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names.append(node.module)  # and its names, which may be submodules:
                names += [
                    f"{node.module}.{alias.name}" for alias in node.names if alias.name != "*"
                ]
    return list(dict.fromkeys(names))


# --- the kernel holder and the papermill engine ---------------------------------------------------


class WarmKernel:
    """One kernel kept alive for many notebooks. ``prepare()`` before each: (re)start and reset."""

    def __init__(
        self,
        kernel_name: str = "python3",
        *,
        cwd: str | Path | None = None,
        warm_modules: Iterable[str] = (),
        startup_timeout: float = 60,
    ):
        self.kernel_name = kernel_name
        self.cwd = str(cwd) if cwd else None
        self.warm_modules = list(warm_modules)
        self.startup_timeout = startup_timeout
        self.km = None
        self.kc = None
        self.needs_restart = False
        self.current_cell: int | None = None
        self.starts = 0

    @property
    def alive(self) -> bool:
        from jupyter_core.utils import run_sync

        return self.km is not None and bool(run_sync(self.km.is_alive)())

    def start(self) -> None:
        """Start the kernel, connect one client for all notebooks, and import the warm-up modules."""
        self.launch()
        self.connect()

    def launch(self) -> None:
        """Start the kernel process (it boots in the background; :meth:`connect` waits for it)."""
        import subprocess

        from jupyter_client.manager import AsyncKernelManager
        from jupyter_core.utils import run_sync

        self.km = AsyncKernelManager(kernel_name=self.kernel_name)
        # The kernel's own stderr only carries start-up chatter; cell output arrives over ZeroMQ.
        run_sync(self.km.start_kernel)(
            extra_arguments=[_HIST],
            cwd=self.cwd,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.starts += 1
        self.needs_restart = False

    def connect(self) -> None:
        """Wait until the launched kernel answers, then import the warm-up modules in it."""
        from jupyter_core.utils import run_sync

        run_sync(self._connect)()
        self.run_silent(
            f"import hyte.run.kernels as _hk\n_hk.warm_up({self.warm_modules!r})\ndel _hk"
        )

    async def _connect(self) -> None:
        self.kc = self.km.client()
        self.kc.start_channels()
        await self.kc.wait_for_ready(timeout=self.startup_timeout)
        self.kc.allow_stdin = False

    def shutdown(self) -> None:
        from jupyter_core.utils import run_sync

        if self.kc is not None:
            self.kc.stop_channels()
            self.kc = None
        if self.km is None:
            return
        try:
            run_sync(self.km.shutdown_kernel)(now=True)
        except Exception:  # already gone
            pass
        self.km = None

    def prepare(self) -> None:
        """Make the kernel ready for the next notebook: restart it if it died or hung, then reset."""
        if self.km is not None and (self.needs_restart or not self.alive):
            self.shutdown()
        if self.km is None:
            self.start()
        self.current_cell = None
        self.run_silent("__import__('hyte.run.kernels').run.kernels.reset_kernel_state()")

    def run_silent(self, code: str, timeout: float = 120) -> None:
        """Execute ``code`` without output or history; raise RuntimeError when it fails."""
        from jupyter_core.utils import run_sync

        run_sync(self._run_silent)(code, timeout)

    async def _run_silent(self, code: str, timeout: float) -> None:
        msg_id = self.kc.execute(code, silent=True, store_history=False, allow_stdin=False)
        while True:
            try:
                reply = await self.kc.get_shell_msg(timeout=timeout)
            except Exception:  # queue.Empty: no answer in time
                self.needs_restart = True
                raise RuntimeError(f"warm kernel did not answer within {timeout:.0f} s") from None
            if reply["parent_header"].get("msg_id") == msg_id:
                break
        content = reply["content"]
        if content.get("status") != "ok":
            self.needs_restart = True
            raise RuntimeError(
                f"warm kernel set-up failed: {content.get('ename')}: {content.get('evalue')}"
            )


def _engine_class():
    """The papermill engine class (built lazily: importing papermill takes a second or two)."""
    from papermill.clientwrap import PapermillNotebookClient
    from papermill.engines import Engine
    from papermill.log import logger
    from papermill.utils import merge_kwargs, remove_args

    class _WarmClient(PapermillNotebookClient):
        """Papermill's client on a kernel it does not own; notes the running cell for error reports."""

        def __init__(self, nb_man, warm_kernel: WarmKernel, **kw):
            super().__init__(nb_man, km=warm_kernel.km, **kw)
            self.warm_kernel = warm_kernel

        def execute_cell(self, cell, cell_index, *args, **kwargs):
            self.warm_kernel.current_cell = cell_index
            return super().execute_cell(cell, cell_index, *args, **kwargs)

    class WarmKernelEngine(Engine):
        """Papermill engine ``hyte-warm``: runs the notebook on a reset warm kernel.

        Pass the kernel as ``warm_kernel=`` (a :class:`WarmKernel`); without one, a process-wide kernel
        is started on first use.
        """

        @classmethod
        def execute_managed_notebook(
            cls,
            nb_man,
            kernel_name,
            log_output=False,
            stdout_file=None,
            stderr_file=None,
            start_timeout=60,
            execution_timeout=None,
            warm_kernel: WarmKernel | None = None,
            **kwargs,
        ):
            kernel = warm_kernel or process_kernel(kernel_name)
            kernel.prepare()
            kwargs = remove_args(["input_path", "timeout", "startup_timeout", "cwd"], **kwargs)
            final_kwargs = merge_kwargs(
                kwargs,
                timeout=execution_timeout,
                startup_timeout=start_timeout,
                kernel_name=kernel_name,
                log=logger,
                log_output=log_output,
                stdout_file=stdout_file,
                stderr_file=stderr_file,
            )
            client = _WarmClient(nb_man, kernel, **final_kwargs)
            client.kc = kernel.kc  # nbclient neither opens nor closes a client it is given
            try:
                return client.execute()
            except BaseException:
                kernel.needs_restart = True  # dead, hung after a timeout, or interrupted
                raise

    return WarmKernelEngine


_PROCESS_KERNEL: WarmKernel | None = None


def process_kernel(kernel_name: str = "python3") -> WarmKernel:
    """This process's own warm kernel (started on first use, shut down at exit)."""
    global _PROCESS_KERNEL
    if _PROCESS_KERNEL is None or _PROCESS_KERNEL.kernel_name != kernel_name:
        import atexit

        _PROCESS_KERNEL = WarmKernel(kernel_name, cwd=os.getcwd())
        atexit.register(_PROCESS_KERNEL.shutdown)
    return _PROCESS_KERNEL


def register_engine() -> str:
    """Register the ``hyte-warm`` engine with papermill; returns its name."""
    from papermill.engines import papermill_engines

    if ENGINE_NAME not in papermill_engines._engines:
        papermill_engines.register(ENGINE_NAME, _engine_class())
    return ENGINE_NAME
