//! Views: each draws from what it is given and returns the commands it wants run. No view
//! touches the databases; the app runs commands through the access gate.

pub mod access_log;
pub mod compliance;
pub mod heatmaps;
pub mod import;
pub mod login;
pub mod nav;
pub mod new_dataset;
pub mod overview;
pub mod pick;
pub mod replay;
pub mod theme;
pub mod users;
pub mod workbench;
