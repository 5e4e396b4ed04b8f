"""The account-model (EVM) engine: per-address average cost or FIFO lots walked over the stored
transfers, and the cohort, URPD and holder queries over them. Reached through costbasis.engine.api."""
