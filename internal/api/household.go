package api

import "net/http"

// Households and residents: being written (stubs answer 501 until then).

func (a *API) listHouseholds(w http.ResponseWriter, r *http.Request) error   { return errTODO }
func (a *API) createHousehold(w http.ResponseWriter, r *http.Request) error  { return errTODO }
func (a *API) getHousehold(w http.ResponseWriter, r *http.Request) error     { return errTODO }
func (a *API) updateHousehold(w http.ResponseWriter, r *http.Request) error  { return errTODO }
func (a *API) moveOutHousehold(w http.ResponseWriter, r *http.Request) error { return errTODO }
func (a *API) householdHistory(w http.ResponseWriter, r *http.Request) error { return errTODO }
func (a *API) listResidents(w http.ResponseWriter, r *http.Request) error    { return errTODO }
func (a *API) createResident(w http.ResponseWriter, r *http.Request) error   { return errTODO }
func (a *API) getResident(w http.ResponseWriter, r *http.Request) error      { return errTODO }
func (a *API) updateResident(w http.ResponseWriter, r *http.Request) error   { return errTODO }
func (a *API) deleteResident(w http.ResponseWriter, r *http.Request) error   { return errTODO }

var errTODO = malformed("not yet")
