"""The fleet builder (``dccflow fleet create`` into the configured database) and end-to-end BAD processes on
PostgreSQL: the same tests as on SQLite (tests/fleet, tests/processes)."""

from rerun import rerun

# one fleet per database: the tests that build fleets in several data directories stay on SQLite
rerun(globals(), "test_fleet_builder",
      only=("test_fleet_contents", "test_create_twice_in_the_same_database_is_refused",
            "test_fault_rates_on_an_existing_fleet_are_deterministic"))
rerun(globals(), "test_install_commission",
      only=("test_happy_path_commissions_chf_and_esme", "test_join_timeout_sends_n25_and_ends_in_failure_branch"))
rerun(globals(), "test_dual_fuel")
