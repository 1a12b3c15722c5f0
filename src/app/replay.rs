//! The app's side of the sessions view: the list through the gate, the purpose remembered for
//! the sitting, and opening a replay on a forked workspace off the UI thread.

use std::collections::HashMap;
use std::sync::Arc;

use super::jobs::Scope;
use super::{Screen, SightlineApp};
use crate::access::replay::SurveyAnswer;
use crate::access::{Capability, SessionSummary, Workspace};
use crate::dom::seek::DomReplay;
use crate::error::Error;
use crate::replay::Replay;
use crate::ui::heatmaps::state::ShotPixels;
use crate::ui::replay::list::ListState;
use crate::ui::replay::player::{PlayerShot, PlayerViewState};
use crate::ui::replay::{PurposePrompt, SessionsViewState};
use crate::ui::workbench::ViewState;

/// A replay opened and decoded by the background job.
pub(super) struct OpenedReplay {
    session: SessionSummary,
    replay: Replay,
    shots: Vec<((String, String), Arc<ShotPixels>, u32)>,
    survey: Option<SurveyAnswer>,
    purpose: String,
    page: Option<DomReplay>,
    page_unreadable: bool,
}

/// The view's first state: the session list, read once through the gate.
pub(super) fn open_view(ws: &Workspace) -> Result<SessionsViewState, Error> {
    let rows = ws.sessions(None)?;
    Ok(SessionsViewState::new(ListState::new(
        rows,
        ws.may(Capability::ReplaySession),
    )))
}

fn open(ws: &Workspace, id: &str, purpose: String) -> Result<OpenedReplay, Error> {
    let data = ws.replay(id, &purpose)?;
    let shots = data
        .screenshots
        .iter()
        .filter_map(|(key, shot)| {
            ShotPixels::decode(&shot.png).map(|p| (key.clone(), Arc::new(p), shot.css_width))
        })
        .collect();
    Ok(OpenedReplay {
        session: data.session,
        replay: Replay::new(data.events),
        shots,
        survey: data.survey,
        purpose,
        page: data.page.map(DomReplay::new),
        page_unreadable: data.page_unreadable,
    })
}

impl SightlineApp {
    pub(super) fn sessions_state(&mut self) -> Option<&mut SessionsViewState> {
        match &mut self.screen {
            Screen::Workbench(w) => match &mut w.view {
                ViewState::Sessions(state) => Some(state),
                _ => None,
            },
            Screen::Login(_) => None,
        }
    }

    pub(super) fn ask_replay(&mut self, id: String) {
        let Screen::Workbench(w) = &mut self.screen else {
            return;
        };
        match w.purpose.clone() {
            Some(purpose) => self.start_replay(id, purpose),
            None => {
                if let Some(state) = self.sessions_state() {
                    state.prompt = Some(PurposePrompt {
                        session: id,
                        ..PurposePrompt::default()
                    });
                }
            }
        }
    }

    pub(super) fn confirm_replay(&mut self) {
        let Some(state) = self.sessions_state() else {
            return;
        };
        let Some(prompt) = state.prompt.take() else {
            return;
        };
        let purpose = prompt.text.trim().to_owned();
        if purpose.is_empty() {
            state.prompt = Some(prompt);
            return;
        }
        if let Screen::Workbench(w) = &mut self.screen {
            w.purpose = Some(purpose.clone());
        }
        self.start_replay(prompt.session, purpose);
    }

    /// Closes the player (`true`) or the purpose prompt (`false`).
    pub(super) fn close_replay(&mut self, player: bool) {
        if let Some(state) = self.sessions_state() {
            if player {
                state.player = None;
            } else {
                state.prompt = None;
            }
        }
    }

    fn start_replay(&mut self, id: String, purpose: String) {
        let Screen::Workbench(w) = &mut self.screen else {
            return;
        };
        let fork = match w.ws.fork() {
            Ok(f) => f,
            Err(e) => {
                if let ViewState::Sessions(state) = &mut w.view {
                    state.error = Some(e.to_string());
                }
                return;
            }
        };
        if let ViewState::Sessions(state) = &mut w.view {
            state.opening = true;
            state.error = None;
        }
        w.replay_job = Some(
            self.jobs
                .spawn("Opening a replay", Scope::Session, move |_| {
                    open(&fork, &id, purpose)
                }),
        );
    }

    pub(super) fn poll_replay(&mut self, ctx: &egui::Context) {
        let Screen::Workbench(w) = &mut self.screen else {
            return;
        };
        let Some(result) = super::jobs::take_finished(&mut w.replay_job, "Opening the replay", ctx)
        else {
            return;
        };
        let ViewState::Sessions(state) = &mut w.view else {
            return;
        };
        state.opening = false;
        match result {
            Ok(o) => {
                let shots: HashMap<(String, String), PlayerShot> = o
                    .shots
                    .into_iter()
                    .map(|(key, pixels, css)| (key, PlayerShot::new(pixels, css)))
                    .collect();
                let page = o.page.map(|r| (r, ctx.clone()));
                let mut player =
                    PlayerViewState::new(o.session, o.replay, shots, o.survey, o.purpose, page);
                if o.page_unreadable {
                    player.page_note = Some(
                        "The recorded page of this session cannot be read: screenshot only."
                            .to_owned(),
                    );
                }
                state.player = Some(player);
            }
            Err(e) => state.error = Some(super::explain(&e)),
        }
        ctx.request_repaint();
    }
}
