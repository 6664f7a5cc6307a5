"""The build engine: runs the notebooks and publishes their outputs. Nothing outside this folder
(but the command line) imports it.

- :mod:`~analysis.pipeline.build`: the build's stages (prepare, compute, plan, execute, install,
  manifest, site) and :func:`~analysis.pipeline.build.build`.
- :mod:`~analysis.pipeline.execute`, :mod:`~analysis.pipeline.zygote`: one notebook in a fresh
  kernel over IPC; kernels forked from a process that has imported the libraries; HTML export.
- :mod:`~analysis.pipeline.outdir`: the output folder's guards, its manifest as read, its lock.
- :mod:`~analysis.pipeline.provenance`: the environment and the git commit.
- :mod:`~analysis.pipeline.site`: the index page.
- :mod:`~analysis.pipeline.check`: a rebuild compared with the published set.
"""
