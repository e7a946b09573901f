"""dccflow's composition root: the top of the house. It wires the kernel (``dccflow``), the simulated DCC
(``dccsim``), the simulated fleet (``devices``), the User-side activities (``activities``) and the process
workflows (``workflows``) into what runs: the workers (``runtime``), the embedded Temporal servers
(``embedded``), the HTTP transport (``http_stack``), the scenario runner (``scenarios``) and the ``dccflow``
command line (``cli``). Nothing below imports it (``tests/platform/test_layering.py``)."""
