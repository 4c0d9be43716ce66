pub mod charge_args;
