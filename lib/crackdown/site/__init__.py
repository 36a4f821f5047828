"""The report as a website: reader-view notebook pages with navigation, an index that leads with the answer,
a glossary, a data-and-sources page and downloads (see :func:`build_site`)."""

from crackdown.site.build import NotebookStatus, RunInfo, build_site

__all__ = ["NotebookStatus", "RunInfo", "build_site"]
