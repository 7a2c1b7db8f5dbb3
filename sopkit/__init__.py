"""sopkit: the SOP content-publishing desk of Dinas Perhubungan Prov. Kalbar, as a library.

The SOP as data (``sop``), its permission table (``permissions``), the working-time clock (``clock``), the
workflow engine (``workflow``), compliance reports (``compliance``) and the stores (``store``). No Streamlit here:
the pages, the CLI and the publish job are thin callers.
"""

__version__ = "0.1.0"
