//! Writes a synthetic household register in the import layout, for benchmarks:
//! `gen_register VILLAGES_FILE HOUSEHOLDS OUT.csv [--gb18030]` (villages: one 12-digit
//! code per line).

use std::io::Write;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 4 {
        return Err("usage: gen_register VILLAGES_FILE HOUSEHOLDS OUT.csv [--gb18030]".into());
    }
    let villages_text = std::fs::read_to_string(&args[1])?;
    let villages: Vec<&str> = villages_text
        .lines()
        .map(str::trim)
        .filter(|l| l.len() == 12)
        .collect();
    if villages.is_empty() {
        return Err("no village codes in the file".into());
    }
    let n: usize = args[2].parse()?;
    let gb = args.iter().any(|a| a == "--gb18030");
    let mut out = std::io::BufWriter::with_capacity(1 << 22, std::fs::File::create(&args[3])?);
    let mut write = |s: &str| -> std::io::Result<()> {
        if gb {
            out.write_all(&encoding_rs::GB18030.encode(s).0)
        } else {
            out.write_all(s.as_bytes())
        }
    };
    write(&(anju_io::synth::household_header() + "\n"))?;
    let mut buf = String::with_capacity(1 << 20);
    for i in 0..n {
        anju_io::synth::household_rows(&mut buf, &villages, i);
        if buf.len() > 1 << 20 {
            write(&buf)?;
            buf.clear();
        }
    }
    write(&buf)?;
    out.flush()?;
    Ok(())
}
