//! `countersign-style <app/src> <style/base.css> <out.css>`: writes the stylesheet,
//! or lists every class that cannot be compiled and exits 1.

use std::{path::PathBuf, process::ExitCode};

fn main() -> ExitCode {
    let args: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    let [sources, base, out] = args.as_slice() else {
        eprintln!("usage: countersign-style <app/src> <style/base.css> <out.css>");
        return ExitCode::from(2);
    };
    let run = || -> Result<usize, String> {
        let classes = countersign_style::collect_classes(sources)
            .map_err(|e| format!("{}: {e}", sources.display()))?;
        let base_css =
            std::fs::read_to_string(base).map_err(|e| format!("{}: {e}", base.display()))?;
        let css = countersign_style::compile(&classes, &base_css).map_err(|errors| {
            errors
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n")
        })?;
        if let Some(dir) = out.parent() {
            std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        }
        std::fs::write(out, css).map_err(|e| format!("{}: {e}", out.display()))?;
        Ok(classes.len())
    };
    match run() {
        Ok(n) => {
            println!("wrote {} ({n} classes)", out.display());
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("countersign-style: {message}");
            ExitCode::FAILURE
        }
    }
}
