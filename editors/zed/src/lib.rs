// Zed declares language servers only through extensions: this one runs
// `marpkit lsp` from the worktree's PATH (a venv activated in the shell Zed
// was started from counts).
use zed_extension_api::{self as zed, LanguageServerId, Result};

struct Marpkit;

impl zed::Extension for Marpkit {
    fn new() -> Self {
        Marpkit
    }

    fn language_server_command(
        &mut self,
        _id: &LanguageServerId,
        worktree: &zed::Worktree,
    ) -> Result<zed::Command> {
        let command = worktree
            .which("marpkit")
            .ok_or_else(|| "marpkit is not on PATH (activate the course's .venv)".to_string())?;
        Ok(zed::Command {
            command,
            args: vec!["lsp".into()],
            env: worktree.shell_env(),
        })
    }
}

zed::register_extension!(Marpkit);
