//! The sessions view: the session list, the purpose prompt, and the masked replay player with
//! its timeline, event list and survey answer.

pub mod controls;
pub mod list;
pub mod page;
pub mod player;

use egui::RichText;

use crate::command::Command;
use crate::ui::theme;

use list::ListState;
use player::PlayerViewState;

/// Asking why a session is being opened.
#[derive(Debug, Clone, Default)]
pub struct PurposePrompt {
    /// The session.
    pub session: String,
    /// The purpose typed so far.
    pub text: String,
    /// The field has been given the keyboard.
    pub focused: bool,
}

/// The sessions view.
pub struct SessionsViewState {
    /// The list.
    pub list: ListState,
    /// The open replay.
    pub player: Option<PlayerViewState>,
    /// The purpose prompt, while it is asked.
    pub prompt: Option<PurposePrompt>,
    /// A replay is being opened.
    pub opening: bool,
    /// The last error (a denial, a missing session).
    pub error: Option<String>,
}

impl SessionsViewState {
    /// The view over `list`.
    pub fn new(list: ListState) -> SessionsViewState {
        SessionsViewState {
            list,
            player: None,
            prompt: None,
            opening: false,
            error: None,
        }
    }
}

/// Draws the view.
pub fn sessions_ui(ui: &mut egui::Ui, s: &mut SessionsViewState, out: &mut Vec<Command>) {
    let visuals = ui.visuals().clone();
    if let Some(e) = &s.error {
        ui.label(RichText::new(e).color(theme::error(&visuals)));
    }
    if s.opening {
        ui.horizontal(|ui| {
            ui.spinner();
            ui.label("Opening the replay…");
        });
    }
    match &mut s.player {
        Some(p) => {
            if player_ui(ui, p) {
                out.push(Command::CloseReplay);
            }
        }
        None => {
            ui.heading("Sessions");
            list::list_ui(ui, &mut s.list, out);
        }
    }
    prompt_ui(ui.ctx(), s, out);
}

/// The purpose window; Enter or "Open replay" confirms.
fn prompt_ui(ctx: &egui::Context, s: &mut SessionsViewState, out: &mut Vec<Command>) {
    let Some(prompt) = s.prompt.as_mut() else {
        return;
    };
    egui::Window::new("Purpose of this replay")
        .collapsible(false)
        .resizable(false)
        .anchor(egui::Align2::CENTER_CENTER, egui::Vec2::ZERO)
        .show(ctx, |ui| {
            ui.label(format!(
                "Session {}. The purpose goes into the access log with every replay you open until you lock.",
                prompt.session
            ));
            let l = ui.label("Purpose or ticket id");
            let field = ui
                .add(egui::TextEdit::singleline(&mut prompt.text).hint_text("e.g. SUP-1234: checkout bug").desired_width(320.0))
                .labelled_by(l.id);
            if !prompt.focused {
                field.request_focus();
                prompt.focused = true;
            }
            let enter = field.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
            ui.horizontal(|ui| {
                let ok = !prompt.text.trim().is_empty();
                if ui.add_enabled(ok, egui::Button::new("Open replay")).clicked() || (enter && ok) {
                    out.push(Command::ConfirmReplay);
                }
                if ui.button("Cancel").clicked() {
                    out.push(Command::CancelReplay);
                }
            });
        });
}

/// The player layout; returns true when "Back to sessions" was pressed.
fn player_ui(ui: &mut egui::Ui, p: &mut PlayerViewState) -> bool {
    let mut back = false;
    p.tick(ui.ctx());
    controls::keys(ui, p);
    let visuals = ui.visuals().clone();
    ui.horizontal(|ui| {
        if ui.button("Back to sessions").clicked() {
            back = true;
        }
        ui.strong(format!("Session {}", p.session.id));
        ui.label(
            RichText::new(format!(
                "{} · {} · {} px · {} · purpose: {}",
                p.session
                    .started_at
                    .get(..16)
                    .unwrap_or(&p.session.started_at)
                    .replace('T', " "),
                p.session.device,
                p.session.viewport_width,
                p.session.region,
                p.purpose
            ))
            .color(theme::weak(&visuals)),
        );
    });
    egui::Panel::bottom("player_timeline").show(ui, |ui| {
        controls::controls_ui(ui, p);
        controls::timeline_ui(ui, p);
    });
    egui::Panel::right("player_side")
        .resizable(true)
        .default_size(300.0)
        .show(ui, |ui| {
            let state = p.state();
            ui.heading("Now");
            let page = state.page.clone().unwrap_or_else(|| "no page yet".into());
            ui.label(format!("Page: {page}"));
            if let Some((w, h)) = state.viewport {
                ui.label(format!("Viewport: {w} x {h}"));
            }
            ui.label(format!("Scroll: {:.0} px", state.scroll.1));
            ui.add_space(theme::GAP);
            ui.heading("Survey");
            match &p.survey {
                Some(a) => {
                    ui.label(format!("Score {} of 5", a.score));
                    if !a.comment.is_empty() {
                        ui.label(RichText::new(format!("\"{}\"", a.comment)).italics());
                    }
                }
                None => {
                    ui.label(
                        RichText::new("No survey answer for this session.")
                            .color(theme::weak(&visuals)),
                    );
                }
            }
            ui.add_space(theme::GAP);
            ui.heading("Events");
            controls::events_ui(ui, p);
        });
    egui::CentralPanel::default().show(ui, |ui| player::frame_ui(ui, p));
    back
}
