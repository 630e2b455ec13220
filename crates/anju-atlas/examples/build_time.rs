//! Times building the atlas: `cargo run --release -p anju-atlas --example build_time`.

use std::time::Instant;

use anju_atlas::{Atlas, AtlasError};

fn main() -> Result<(), AtlasError> {
    const RUNS: u32 = 10;
    let mut fastest = None;
    let mut areas = 0;
    for _ in 0..RUNS {
        let start = Instant::now();
        let atlas = Atlas::chongqing()?;
        let elapsed = start.elapsed();
        areas = atlas.areas().len();
        fastest = Some(fastest.map_or(elapsed, |f: std::time::Duration| f.min(elapsed)));
    }
    if let Some(fastest) = fastest {
        println!("built {areas} areas; fastest of {RUNS} runs: {fastest:?}");
    }
    Ok(())
}
